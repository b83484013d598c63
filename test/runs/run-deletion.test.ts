/**
 * Deleting runs (SPEC §3, §4.1, §4.3): only finished runs, only by whoever started them or an
 * org admin; 202 with job ids; each flag keeps or removes its part; deleting a batch run's
 * input deletes the batch, a folder run's deletion never touches the user's folder.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';
import {
  ANY_STRING,
  createBatch,
  expectError,
  getLogs,
  getRun,
  listRuns,
  matching,
  publishOk,
  results,
  startRunOk,
  waitForRun,
  writeFolder,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

interface DeleteBody {
  delete_input_dir_job_id: string | null;
  delete_output_dir_job_id: string | null;
  delete_log_dir_job_id: string | null;
}

describeEachBackend('run deletion', (backend) => {
  let h: Harness;
  afterEach(async () => {
    appId = undefined;
    await h?.close();
  });

  const del = (token: string, id: string, query = '') =>
    h.as(token, { method: 'DELETE', url: `/api/v2/apps/runs/${id}${query}` });
  const getBatch = (id: number) =>
    h.as(h.tokens.alice, { method: 'GET', url: `/api/v2/batches/${id}` });

  let appId: string | undefined;
  /** A finished run of `token`'s over a new batch; the app logs a line for `log.txt`. */
  async function finishedRun(token: string) {
    appId ??= (await publishOk(h, h.tokens.alice, nodeApp())).app_id;
    const app_id = appId;
    const batch = await createBatch(h, token, { 'log.txt': 'a b c' });
    const run = await startRunOk(h, token, { app_id, batch_id: batch });
    expect((await waitForRun(h, token, run.id)).status).toBe('COMPLETE');
    return { run, batch };
  }

  /** Waits for every job id given; they are all COMPLETE. */
  async function jobsDone(token: string, body: DeleteBody) {
    for (const id of new Set(Object.values(body).filter((v): v is string => v !== null))) {
      expect((await waitForJob(h, token, id)).state).toBe('COMPLETE');
    }
  }

  it('refuses to delete an unfinished run, telling to cancel first; the starter or an admin only', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });

    const refused = await del(h.tokens.alice, run.id);
    expect(expectError(refused, 409, 'run-not-finished')).toMatch(/cancel it first/i);
    expectError(await del(h.tokens.bob, run.id), 403, 'permission-denied');
    expectError(await del(h.tokens.eve, run.id), 404, 'record-not-found');
    expectError(await del(h.tokens.alice, 'no-such-run'), 404, 'record-not-found');
    // Nothing changed: the run and its batch are as they were.
    expect((await getRun(h, h.tokens.alice, run.id)).json()).toEqual(run);
    expect((await getBatch(batch)).statusCode).toBe(200);

    await h.as(h.tokens.alice, { method: 'POST', url: `/api/v2/apps/runs/${run.id}/cancel` });
    const ok = await del(h.tokens.alice, run.id);
    expect(ok.statusCode).toBe(202);
  });

  it('lets only the starter or an org admin delete a finished run', async () => {
    h = await startHarness(backend);
    const alices = await finishedRun(h.tokens.alice);
    const refused = await del(h.tokens.bob, alices.run.id);
    expect(expectError(refused, 403, 'permission-denied')).toMatch(
      /started the run or an org admin/,
    );
    expect((await getRun(h, h.tokens.alice, alices.run.id)).statusCode).toBe(200);
    expect((await getBatch(alices.batch)).statusCode).toBe(200);

    const bobs = await finishedRun(h.tokens.bob);
    const byAdmin = await del(h.tokens.alice, bobs.run.id);
    expect(byAdmin.statusCode).toBe(202);
    await jobsDone(h.tokens.alice, byAdmin.json<DeleteBody>());
    expectError(await getRun(h, h.tokens.bob, bobs.run.id), 404, 'record-not-found');
  });

  it('by default deletes everything: the run record, its results, logs and the batch it processed', async () => {
    h = await startHarness(backend);
    const { run, batch } = await finishedRun(h.tokens.alice);
    const res = await del(h.tokens.alice, run.id);
    expect(res.statusCode).toBe(202);
    const body = res.json<DeleteBody>();
    expect(body).toEqual({
      delete_input_dir_job_id: ANY_STRING,
      delete_output_dir_job_id: ANY_STRING,
      delete_log_dir_job_id: ANY_STRING,
    });
    // The batch is gone at once, the rest once the jobs are done.
    expectError(await getBatch(batch), 404, 'record-not-found');
    await jobsDone(h.tokens.alice, body);
    expectError(await getRun(h, h.tokens.alice, run.id), 404, 'record-not-found');
    const gone = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${run.id}/results`,
    });
    expectError(gone, 404, 'record-not-found');
    expect(await listRuns(h, h.tokens.alice)).toEqual([]);
    // The job ids stay answerable after the run is gone.
    const job = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/jobs/${body.delete_log_dir_job_id}`,
    });
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({
      state: 'COMPLETE',
      message: matching(/run record/),
    });
    // Deleting it again: it no longer exists.
    expectError(await del(h.tokens.alice, run.id), 404, 'record-not-found');
  });

  it('delete_input=false and delete_db_data=false keep the batch and the run; the logs go', async () => {
    h = await startHarness(backend);
    const { run, batch } = await finishedRun(h.tokens.alice);
    const before = await results(h, h.tokens.alice, run.id);
    expect(await getLogs(h, h.tokens.alice, run.id)).toContain('line 1 of log.txt');

    const res = await del(h.tokens.alice, run.id, '?delete_input=false&delete_db_data=false');
    expect(res.statusCode).toBe(202);
    const body = res.json<DeleteBody>();
    expect(body.delete_input_dir_job_id).toBeNull();
    expect(body.delete_output_dir_job_id).toEqual(ANY_STRING);
    expect(body.delete_log_dir_job_id).toEqual(ANY_STRING);
    await jobsDone(h.tokens.alice, body);

    expect((await getBatch(batch)).statusCode).toBe(200);
    const files = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/batches/${batch}/files`,
    });
    expect(files.json<{ nodes: { name: string }[] }>().nodes.map((n) => n.name)).toEqual([
      'log.txt',
    ]);
    expect((await getRun(h, h.tokens.alice, run.id)).json()).toMatchObject({
      id: run.id,
      status: 'COMPLETE',
    });
    expect(await results(h, h.tokens.alice, run.id)).toEqual(before);
    const log = await getLogs(h, h.tokens.alice, run.id);
    expect(log).not.toContain('line 1 of log.txt');
    expect(log).toMatch(/\[status\] complete:/);
  });

  it('delete_input=true alone removes the batch but keeps the run, its results and logs', async () => {
    h = await startHarness(backend);
    const { run, batch } = await finishedRun(h.tokens.alice);
    const res = await del(
      h.tokens.alice,
      run.id,
      '?delete_db_data=false&delete_output=false&delete_logs=false',
    );
    const body = res.json<DeleteBody>();
    expect(body).toEqual({
      delete_input_dir_job_id: ANY_STRING,
      delete_output_dir_job_id: null,
      delete_log_dir_job_id: null,
    });
    await jobsDone(h.tokens.alice, body);
    expectError(await getBatch(batch), 404, 'record-not-found');
    expect((await getRun(h, h.tokens.alice, run.id)).statusCode).toBe(200);
    expect(
      (await results(h, h.tokens.alice, run.id)).files[0]!.documents[0]!.fields[0]!.value,
    ).toBe('3');
    expect(await getLogs(h, h.tokens.alice, run.id)).toContain('line 1 of log.txt');

    const nothing = await del(
      h.tokens.alice,
      run.id,
      '?delete_db_data=false&delete_input=false&delete_output=false&delete_logs=false',
    );
    expect(nothing.statusCode).toBe(202);
    expect(nothing.json()).toEqual({
      delete_input_dir_job_id: null,
      delete_output_dir_job_id: null,
      delete_log_dir_job_id: null,
    });
    expect((await getRun(h, h.tokens.alice, run.id)).statusCode).toBe(200);
  });

  it("deleting a folder run removes its snapshot, never the user's folder", async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const folder = 'acme/alice/fs/Runbox Drive/invoices';
    await writeFolder(h, h.tokens.alice, folder, { 'one.txt': 'a b', 'two.txt': 'c' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, input_dir: folder });
    expect(run).toMatchObject({ input_dir: folder, batch_id: null });
    expect((await waitForRun(h, h.tokens.alice, run.id)).status).toBe('COMPLETE');
    const res = await results(h, h.tokens.alice, run.id);
    expect(res.files.map((f) => f.original_file_name)).toEqual(['one.txt', 'two.txt']);
    expect(res.batch_id).toBeUndefined();
    expect((await h.runbox.blobs.list(`runs/${run.id}/input`)).length).toBe(2);

    const deleted = await del(h.tokens.alice, run.id);
    expect(deleted.statusCode).toBe(202);
    await jobsDone(h.tokens.alice, deleted.json<DeleteBody>());
    expectError(await getRun(h, h.tokens.alice, run.id), 404, 'record-not-found');
    expect(await h.runbox.blobs.list(`runs/${run.id}/input`)).toEqual([]);
    for (const [name, content] of [
      ['one.txt', 'a b'],
      ['two.txt', 'c'],
    ]) {
      const file = await h.as(h.tokens.alice, {
        method: 'GET',
        url: `/api/v2/files/${encodeURI(`${folder}/${name}`)}?expect-node-type=file`,
      });
      expect([file.statusCode, file.body]).toEqual([200, content]);
    }
  });
});

/**
 * The Apify dialect's changes to a run after it started, and its default key-value store:
 * `PUT /v2/actor-runs/{id}` (status message), `POST …/resurrect` (the same run again over the
 * same input, its results replaced), and the `OUTPUT` record (the run's summary), plus the
 * storage-id paths the run object names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  getLogs,
  publishOk,
  startRunOk,
  waitForLog,
  waitForRun,
} from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';

interface ApifyRun {
  id: string;
  status: string;
  statusMessage: string;
  isStatusMessageTerminal: boolean;
  finishedAt: string | null;
  defaultDatasetId: string;
  defaultKeyValueStoreId: string;
  stats: { resurrectCount: number };
  options: { timeoutSecs: number };
}
interface Output {
  runId: string;
  status: string;
  files: { total: number; done: number; failed: number; pending: number };
  outcomes: { fileName: string; outcome: string; error?: string }[];
}

function expectApifyError(res: LightMyRequestResponse, status: number, type: string): string {
  const body = res.json<{ error?: { type?: string; message?: unknown } }>();
  expect({ status: res.statusCode, type: body.error?.type }, res.body).toEqual({ status, type });
  expect(typeof body.error?.message).toBe('string');
  return body.error!.message as string;
}

describeEachBackend('Apify run updates, resurrection and OUTPUT', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const get = (url: string, token = h.tokens.alice) => h.as(token, { method: 'GET', url });
  const run = async (id: string, token = h.tokens.alice): Promise<ApifyRun> => {
    const res = await get(`/v2/actor-runs/${id}`, token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ data: ApifyRun }>().data;
  };
  const put = (id: string, body: unknown, token = h.tokens.alice) =>
    h.as(token, {
      method: 'PUT',
      url: `/v2/actor-runs/${id}`,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  const resurrect = (id: string, query = '', token = h.tokens.alice) =>
    h.as(token, {
      method: 'POST',
      url: `/v2/actor-runs/${id}/resurrect${query}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
  const output = (id: string) => get(`/v2/actor-runs/${id}/key-value-store/records/OUTPUT`);

  it('sets a status message (shown, logged, terminal flag); refuses bad bodies and other users', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const { id } = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    const before = await run(id);
    expect(before).toMatchObject({ status: 'READY', isStatusMessageTerminal: false });

    const res = await put(id, { statusMessage: 'Crawled 3 of 10 pages' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ data: ApifyRun }>().data).toMatchObject({
      id,
      statusMessage: 'Crawled 3 of 10 pages',
      isStatusMessageTerminal: false,
    });
    expect(await run(id)).toMatchObject({ statusMessage: 'Crawled 3 of 10 pages' });
    expect(await getLogs(h, h.tokens.alice, id)).toContain('Status: Crawled 3 of 10 pages');
    const final = await put(id, {
      runId: id,
      statusMessage: 'Done',
      isStatusMessageTerminal: true,
    });
    expect(final.json<{ data: ApifyRun }>().data).toMatchObject({
      statusMessage: 'Done',
      isStatusMessageTerminal: true,
    });
    // An admin may set it too; generalAccess may only keep runs restricted.
    expect((await put(id, { generalAccess: 'RESTRICTED' })).statusCode).toBe(200);

    const refusals: [unknown, number, string][] = [
      [{ statusMessage: 7 }, 400, 'invalid-input'],
      [{ statusMessage: 'x', isStatusMessageTerminal: 'yes' }, 400, 'invalid-input'],
      [{ isStatusMessageTerminal: true }, 400, 'invalid-input'],
      [{ statusMessage: 'x', colour: 'red' }, 400, 'invalid-input'],
      [{ runId: 'another', statusMessage: 'x' }, 400, 'invalid-input'],
      [{ generalAccess: 'ANYONE_WITH_ID_CAN_READ' }, 400, 'invalid-input'],
      [{ statusMessage: 'x'.repeat(1001) }, 400, 'invalid-input'],
      ['[1,2]', 400, 'invalid-input'],
      ['{"statusMessage":', 400, 'invalid-input'],
    ];
    for (const [body, status, type] of refusals)
      expectApifyError(await put(id, body), status, type);
    expectApifyError(await put(id, { statusMessage: 'x' }, h.tokens.bob), 403, 'permission-denied');
    expectApifyError(await put(id, { statusMessage: 'x' }, h.tokens.eve), 404, 'record-not-found');
    expectApifyError(await put('no-such-run', { statusMessage: 'x' }), 404, 'record-not-found');
    // None of them changed it.
    expect(await run(id)).toMatchObject({ statusMessage: 'Done', isStatusMessageTerminal: true });
  });

  it('resurrects a finished run as the same run: queued again, results replaced, counted', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const gate = join(h.config.dataDir, 'gate-open');
    const batch = await createBatch(h, h.tokens.alice, { 'gate.txt': 'one two' });
    const { id } = await startRunOk(h, h.tokens.alice, {
      app_id,
      batch_id: batch,
      settings: { keys: { custom: { gate } } },
    });
    await waitForLog(h, h.tokens.alice, id, 'waiting at gate');
    // Unfinished: refused, and nothing changes.
    expect(expectApifyError(await resurrect(id), 409, 'conflict')).toMatch(/not finished/);
    await h.as(h.tokens.alice, { method: 'POST', url: `/v2/actor-runs/${id}/abort` });
    await waitForRun(h, h.tokens.alice, id);
    await put(id, { statusMessage: 'first try', isStatusMessageTerminal: true });
    const aborted = await run(id);
    expect(aborted).toMatchObject({ status: 'ABORTED', stats: { resurrectCount: 0 } });
    const first = (await output(id)).json<Output>();
    expect(first).toMatchObject({
      status: 'ABORTED',
      files: { total: 1, done: 0, failed: 1, pending: 0 },
      outcomes: [{ fileName: 'gate.txt', outcome: 'failed' }],
    });

    expectApifyError(await resurrect(id, '', h.tokens.bob), 403, 'permission-denied');
    expectApifyError(await resurrect(id, '', h.tokens.eve), 404, 'record-not-found');
    expectApifyError(await resurrect('no-such-run'), 404, 'record-not-found');
    expectApifyError(await resurrect(id, '?timeout=1.5'), 400, 'invalid-input');
    expect((await run(id)).status).toBe('ABORTED');

    writeFileSync(gate, '');
    const res = await resurrect(id, '?timeout=300&memory=512&build=latest');
    expect(res.statusCode, res.body).toBe(200);
    const again = res.json<{ data: ApifyRun }>().data;
    expect(again).toMatchObject({
      id,
      finishedAt: null,
      stats: { resurrectCount: 1 },
      options: { timeoutSecs: 300 },
    });
    expect(['READY', 'RUNNING', 'SUCCEEDED']).toContain(again.status);
    // The status message of the previous execution is gone with it.
    expect(again.statusMessage).not.toBe('first try');
    const done = await waitForRun(h, h.tokens.alice, id);
    expect(done.status).toBe('COMPLETE');
    expect(await run(id)).toMatchObject({ status: 'SUCCEEDED', stats: { resurrectCount: 1 } });

    // The new execution's results replace the old ones: one item, with fields.
    const items = (await get(`/v2/actor-runs/${id}/dataset/items`)).json<
      Record<string, unknown>[]
    >();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ fileName: 'gate.txt', className: 'Note' });
    expect(items[0]).not.toHaveProperty('#errors');
    expect(Object.values(items[0]!)).toContain('2');
    expect((await output(id)).json<Output>()).toMatchObject({
      status: 'SUCCEEDED',
      files: { total: 1, done: 1, failed: 0, pending: 0 },
      outcomes: [{ fileName: 'gate.txt', outcome: 'done' }],
    });
    // Both executions are in the log, the resurrection between them.
    const log = await getLogs(h, h.tokens.alice, id);
    const order = ['[status] cancelled', 'Resurrected by alice', '[status] complete'].map((s) =>
      log.indexOf(s),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    // A second resurrection counts again; a deleted run cannot be resurrected.
    expect((await resurrect(id)).statusCode).toBe(200);
    await waitForRun(h, h.tokens.alice, id);
    expect((await run(id)).stats.resurrectCount).toBe(2);
    expect(
      (await h.as(h.tokens.alice, { method: 'DELETE', url: `/v2/actor-runs/${id}` })).statusCode,
    ).toBe(204);
    // Its record is being deleted (409) or already gone (404), depending on the job's progress.
    const gone = await resurrect(id);
    expect([409, 404]).toContain(gone.statusCode);
  });

  it('serves the OUTPUT record and the storage-id paths the run object names', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a b c', 'throw.txt': 'x' });
    const { id } = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    await waitForRun(h, h.tokens.alice, id);
    const r = await run(id);
    const res = await output(id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const out = res.json<Output>();
    expect(out).toMatchObject({
      runId: id,
      status: 'SUCCEEDED',
      files: { total: 2, done: 1, failed: 1, pending: 0 },
    });
    expect(out.outcomes).toEqual([
      { fileName: 'a.txt', outcome: 'done' },
      { fileName: 'throw.txt', outcome: 'failed', error: expect.stringMatching(/boom/) as unknown },
    ]);
    const byStore = await get(
      `/v2/key-value-stores/${r.defaultKeyValueStoreId}/records/OUTPUT?attachment=true`,
    );
    expect(byStore.json()).toEqual(out);
    const byDataset = await get(`/v2/datasets/${r.defaultDatasetId}/items`);
    expect(byDataset.headers['x-apify-pagination-total']).toBe('2');
    expect(byDataset.json<{ fileName: string }[]>().map((i) => i.fileName)).toEqual([
      'a.txt',
      'throw.txt',
    ]);

    expectApifyError(
      await get(`/v2/actor-runs/${id}/key-value-store/records/INPUT`),
      404,
      'record-not-found',
    );
    expectApifyError(
      await get(`/v2/actor-runs/${id}/key-value-store/records/OUTPUT`, h.tokens.eve),
      404,
      'record-not-found',
    );
    expectApifyError(
      await get('/v2/key-value-stores/no-such-run/records/OUTPUT'),
      404,
      'record-not-found',
    );
    expectApifyError(
      await get(`/v2/actor-runs/${id}/key-value-store/records/OUTPUT?attachment=maybe`),
      400,
      'invalid-input',
    );
  });
});

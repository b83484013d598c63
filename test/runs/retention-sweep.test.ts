/**
 * Retention sweeps (our extension, SPEC §3 deletion and §4.3 jobs): a periodic sweep hands runs
 * finished longer ago than their policy's days to the same deletion jobs as
 * `DELETE /v2/apps/runs/{id}`, writing a "Retention:" line to the run's log first, deleting
 * only the parts the policy names, once per run however sweeps overlap. The clock is moved, not
 * waited for. Which policy applies to a run is in retention-scopes.test.ts.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { waitFor, waitForJob } from '../helpers/harness.js';
import {
  DAY,
  deletionJob,
  expectDeleted,
  expectKept,
  finishedRun,
  putOk,
  retentionSuite,
} from './retention-fixtures.js';
import {
  createBatch,
  expectError,
  getLogs,
  getRun,
  matching,
  publishOk,
  startRunOk,
  waitForRun,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

describeEachBackend('retention sweeps', (backend) => {
  const { clock, start } = retentionSuite(backend);

  it('deletes runs finished more than N days ago; keeps newer runs and runs of other apps and orgs', async () => {
    const hh = await start();
    const appA = (await publishOk(hh, hh.tokens.alice, nodeApp('probe'))).app_id;
    const appB = (await publishOk(hh, hh.tokens.alice, nodeApp('other'))).app_id;
    const evesApp = (await publishOk(hh, hh.tokens.eve, nodeApp('probe'))).app_id;
    await putOk(hh, { scope: 'app', target_id: appA, days: 7 });
    await putOk(hh, { scope: 'org', days: 30 }, hh.tokens.eve);

    const oldA = await finishedRun(hh, hh.tokens.alice, { app_id: appA });
    const bobsOldA = await finishedRun(hh, hh.tokens.bob, { app_id: appA });
    const oldB = await finishedRun(hh, hh.tokens.alice, { app_id: appB });
    const evesOld = await finishedRun(hh, hh.tokens.eve, { app_id: evesApp });
    expect(await hh.runbox.services.retention.sweep()).toBe(0);

    clock.offset = 7 * DAY - 60_000; // not quite 7 days later
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    await expectKept(hh, hh.tokens.alice, oldA.run.id);

    clock.offset = 8 * DAY;
    const newA = await finishedRun(hh, hh.tokens.alice, { app_id: appA });
    expect(await hh.runbox.services.retention.sweep()).toBe(2);
    await expectDeleted(hh, hh.tokens.alice, oldA);
    await expectDeleted(hh, hh.tokens.bob, bobsOldA);
    expectError(
      await hh.as(hh.tokens.alice, { method: 'GET', url: `/api/v2/batches/${oldA.batch}` }),
      404,
      'record-not-found',
    );
    await expectKept(hh, hh.tokens.alice, newA.run.id);
    await expectKept(hh, hh.tokens.alice, oldB.run.id);
    await expectKept(hh, hh.tokens.eve, evesOld.run.id);

    // 31 days on: globex's org policy takes eve's run, and app A's policy the newer run of A;
    // app B has no policy in acme, so its run stays.
    clock.offset = 31 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(2);
    await expectDeleted(hh, hh.tokens.eve, evesOld);
    await expectDeleted(hh, hh.tokens.alice, newA);
    await expectKept(hh, hh.tokens.alice, oldB.run.id);
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
  });

  it('writes the "Retention:" log line before the deletion job runs, then deletes the run and its files', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    await putOk(hh, { scope: 'org', days: 3 });
    const { run, batch } = await finishedRun(hh, hh.tokens.alice, { app_id });
    expect(await hh.runbox.blobs.list(`batches/${batch}`)).toHaveLength(1);

    // With the job runner stopped, the sweep only requests the deletion.
    await hh.runbox.jobRunner!.stop();
    clock.offset = 4 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(1);
    const jobId = await deletionJob(hh, run.id);
    const pending = await hh.as(hh.tokens.alice, { method: 'GET', url: `/api/v2/jobs/${jobId}` });
    expect(pending.json<{ state: string }>().state).toBe('PENDING');
    expect((await getRun(hh, hh.tokens.alice, run.id)).statusCode).toBe(200);
    const log = await getLogs(hh, hh.tokens.alice, run.id);
    const line = log.split('\n').find((l) => l.includes('Retention:'));
    expect(line).toMatch(
      /Retention: the run finished more than 3 days ago \(org policy\); deleting its input, output, logs, record\.$/,
    );
    // Its batch is hidden at once, as with DELETE.
    expectError(
      await hh.as(hh.tokens.alice, { method: 'GET', url: `/api/v2/batches/${batch}` }),
      404,
      'record-not-found',
    );
    // Sweeping again does not delete it twice.
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    expect(await deletionJob(hh, run.id)).toBe(jobId);

    hh.runbox.jobRunner!.start();
    const job = await waitForJob(hh, hh.tokens.alice, jobId);
    expect(job).toMatchObject({ state: 'COMPLETE', message: matching(/run record/) });
    expectError(await getRun(hh, hh.tokens.alice, run.id), 404, 'record-not-found');
    expect(await hh.runbox.blobs.list(`batches/${batch}`)).toEqual([]);
    expect(await hh.runbox.blobs.list(`runs/${run.id}`)).toEqual([]);
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
  });

  it('keeps the parts a policy keeps: with delete_logs and delete_db_data off the run and its log stay', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    await putOk(hh, {
      scope: 'app',
      target_id: app_id,
      days: 1,
      delete_logs: false,
      delete_db_data: false,
    });
    const { run, batch } = await finishedRun(hh, hh.tokens.alice, { app_id });
    const resultsBefore = await hh.as(hh.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${run.id}/results`,
    });
    expect(resultsBefore.statusCode).toBe(200);

    clock.offset = 2 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(1);
    // The record stays, so it names no deletion job; the job shows in the job counts.
    expect((await hh.runbox.store.runs.getById(run.id))?.deletion_job_id).toBeNull();
    await waitFor(
      async () => ((await hh.runbox.store.jobs.countByState()).COMPLETE === 1 ? true : undefined),
      'the deletion job to complete',
    );

    // The run, its results and its log (with the retention line) stay; its input is gone.
    expect((await getRun(hh, hh.tokens.alice, run.id)).json()).toMatchObject({
      id: run.id,
      status: 'COMPLETE',
    });
    const resultsAfter = await hh.as(hh.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${run.id}/results`,
    });
    expect(resultsAfter.json()).toEqual(resultsBefore.json());
    const log = await getLogs(hh, hh.tokens.alice, run.id);
    expect(log).toMatch(
      /Retention: the run finished more than 1 day ago \(app policy\); deleting its input, output\./,
    );
    expect(log).toMatch(/\[status\] complete:/);
    expectError(
      await hh.as(hh.tokens.alice, { method: 'GET', url: `/api/v2/batches/${batch}` }),
      404,
      'record-not-found',
    );
    expect(await hh.runbox.blobs.list(`batches/${batch}`)).toEqual([]);

    // A run is handed to deletion once: later sweeps leave it (and its log) alone.
    clock.offset = 5 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    const again = await getLogs(hh, hh.tokens.alice, run.id);
    expect(again.match(/Retention:/g)).toHaveLength(1);
  });

  it('hands each run to deletion once when sweeps overlap', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    await putOk(hh, { scope: 'org', days: 1, delete_logs: false, delete_db_data: false });
    const runs: string[] = [];
    for (let i = 0; i < 8; i++) {
      const batch_id = await createBatch(hh, hh.tokens.alice, { 'note.txt': `note ${i}` });
      runs.push((await startRunOk(hh, hh.tokens.alice, { app_id, batch_id })).id);
    }
    for (const id of runs) await waitForRun(hh, hh.tokens.alice, id);

    clock.offset = 2 * DAY;
    // As when several worker processes sweep at once (on Postgres, each on its own connection).
    const retention = hh.runbox.services.retention;
    const counts = await Promise.all([1, 2, 3, 4].map(() => retention.sweep()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(runs.length);
    for (const id of runs) {
      const log = await getLogs(hh, hh.tokens.alice, id);
      expect(log.match(/Retention:/g), log).toHaveLength(1);
    }
    // One deletion job per run, whatever the sweeps' interleaving.
    const jobs = await hh.runbox.store.jobs.countByState();
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBe(runs.length);
    expect(await retention.sweep()).toBe(0);
  });

  it('sweeps by itself every RUNBOX_RETENTION_INTERVAL_MS', async () => {
    const hh = await start({ RUNBOX_RETENTION_INTERVAL_MS: '50' });
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    await putOk(hh, { scope: 'org', days: 2 });
    const { run } = await finishedRun(hh, hh.tokens.alice, { app_id });
    await expectKept(hh, hh.tokens.alice, run.id);
    clock.offset = 3 * DAY;
    await waitFor(async () => {
      const res = await getRun(hh, hh.tokens.alice, run.id);
      return res.statusCode === 404 ? true : undefined;
    }, 'the periodic sweep to delete the run');
    expectError(await getRun(hh, hh.tokens.alice, run.id), 404, 'record-not-found');
  });
});

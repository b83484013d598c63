/**
 * Retention policy scopes (our extension, SPEC §3 deletion and §4.3 jobs): the most specific
 * policy of a run applies (deployment over app over org), a policy that deletes nothing shields
 * its runs, a deleted policy stops applying, runs that have not finished are never taken, and a
 * run a user deleted only some parts of is still taken. The clock is moved, not waited for.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { waitForJob } from '../helpers/harness.js';
import {
  DAY,
  deploy,
  expectDeleted,
  expectKept,
  finishedRun,
  putOk,
  retentionSuite,
} from './retention-fixtures.js';
import { createBatch, getLogs, getRun, publishOk, startRunOk, waitForRun } from './run-helpers.js';
import { nodeApp } from './test-apps.js';

describeEachBackend('retention policy scopes', (backend) => {
  const { clock, start } = retentionSuite(backend);

  it('applies the most specific policy: deployment over app over org', async () => {
    const hh = await start();
    const appA = (await publishOk(hh, hh.tokens.alice, nodeApp('probe'))).app_id;
    const appB = (await publishOk(hh, hh.tokens.alice, nodeApp('other'))).app_id;
    const short = await deploy(hh, 'short', appA);
    const long = await deploy(hh, 'long', appA);
    await putOk(hh, { scope: 'org', days: 30 });
    await putOk(hh, { scope: 'app', target_id: appA, days: 10 });
    await putOk(hh, { scope: 'deployment', target_id: short, days: 3 });
    await putOk(hh, { scope: 'deployment', target_id: long, days: 60 });

    const viaShort = await finishedRun(hh, hh.tokens.alice, { deployment_id: short });
    const viaLong = await finishedRun(hh, hh.tokens.alice, { deployment_id: long });
    const ofA = await finishedRun(hh, hh.tokens.alice, { app_id: appA });
    const ofB = await finishedRun(hh, hh.tokens.alice, { app_id: appB });
    const all = [viaShort, viaLong, ofA, ofB].map((r) => r.run.id);

    /** Sweeps at `days` after the runs; returns how many were handed over and what is left. */
    const sweepAt = async (days: number) => {
      clock.offset = days * DAY;
      const n = await hh.runbox.services.retention.sweep();
      const left: string[] = [];
      for (const id of all) {
        const row = await hh.runbox.store.runs.getById(id);
        if (row && row.deletion_job_id === null) left.push(id);
      }
      return { n, left };
    };

    // Day 5: only the 3-day deployment policy applies (the app's 10 days would keep it).
    expect(await sweepAt(5)).toEqual({ n: 1, left: [viaLong, ofA, ofB].map((r) => r.run.id) });
    await expectDeleted(hh, hh.tokens.alice, viaShort);
    // Day 12: the app's 10 days take its direct run; the 60-day deployment keeps its run
    // although its app's policy says 10 days, and the org's 30 days keep app B's run.
    expect(await sweepAt(12)).toEqual({ n: 1, left: [viaLong, ofB].map((r) => r.run.id) });
    await expectDeleted(hh, hh.tokens.alice, ofA);
    // Day 31: the org policy takes app B's run; the 60-day deployment still keeps its own.
    expect(await sweepAt(31)).toEqual({ n: 1, left: [viaLong.run.id] });
    await expectDeleted(hh, hh.tokens.alice, ofB);
    expect(await sweepAt(61)).toEqual({ n: 1, left: [] });
    await expectDeleted(hh, hh.tokens.alice, viaLong);
    expect(await sweepAt(100)).toEqual({ n: 0, left: [] });
  });

  it('stops applying a deleted policy; runs that have not finished are never taken', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    // Every document of `strict` fails validation, so its runs stop at the checkpoint.
    const strict = (
      await publishOk(
        hh,
        hh.tokens.alice,
        nodeApp('strict', '1.0.0', {
          fields: [{ name: 'word count', type: 'NUMBER', min: 100 }, { name: 'file name' }],
          review: 'on_validation_failure',
        }),
      )
    ).app_id;
    const policy = await putOk(hh, { scope: 'org', days: 1 });
    const done = await finishedRun(hh, hh.tokens.alice, { app_id });
    const batch = await createBatch(hh, hh.tokens.alice, { 'short.txt': 'too few words' });
    const review = await startRunOk(hh, hh.tokens.alice, { app_id: strict, batch_id: batch });
    await waitForRun(hh, hh.tokens.alice, review.id, ['STOPPED_AT_CHECKPOINT']);

    const del = await hh.as(hh.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/retention-policies/${policy.id}`,
    });
    expect(del.statusCode).toBe(204);
    clock.offset = 2 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    await expectKept(hh, hh.tokens.alice, done.run.id);

    // Back in place: the finished run goes; the run waiting for review for two days stays.
    await putOk(hh, { scope: 'org', days: 1 });
    expect(await hh.runbox.services.retention.sweep()).toBe(1);
    await expectDeleted(hh, hh.tokens.alice, done);
    await expectKept(hh, hh.tokens.alice, review.id);
    expect((await getRun(hh, hh.tokens.alice, review.id)).json()).toMatchObject({
      status: 'STOPPED_AT_CHECKPOINT',
    });

    // Once resumed it counts as finished now, not when it reached the checkpoint.
    const resume = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${review.id}/resume`,
      payload: { force: true },
    });
    expect(resume.statusCode, resume.body).toBe(200);
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    clock.offset = 3 * DAY + 60_000;
    expect(await hh.runbox.services.retention.sweep()).toBe(1);
    await expectDeleted(hh, hh.tokens.alice, { run: review, batch });
  });

  it('a policy that deletes nothing shields its runs from less specific policies and logs nothing', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    const keep = await deploy(hh, 'keep-forever', app_id);
    await putOk(hh, { scope: 'org', days: 1 });
    await putOk(hh, {
      scope: 'deployment',
      target_id: keep,
      days: 1,
      delete_input: false,
      delete_output: false,
      delete_logs: false,
      delete_db_data: false,
    });
    const kept = await finishedRun(hh, hh.tokens.alice, { deployment_id: keep });
    const other = await finishedRun(hh, hh.tokens.alice, { app_id });

    clock.offset = 2 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(1);
    await expectDeleted(hh, hh.tokens.alice, other);
    for (let i = 0; i < 3; i++) expect(await hh.runbox.services.retention.sweep()).toBe(0);
    await expectKept(hh, hh.tokens.alice, kept.run.id);
    expect(await getLogs(hh, hh.tokens.alice, kept.run.id)).not.toContain('Retention:');
    expect(await hh.runbox.blobs.list(`batches/${kept.batch}`)).toHaveLength(1);
  });

  it('still applies to a run whose user deleted only some of its parts', async () => {
    const hh = await start();
    const app = (await publishOk(hh, hh.tokens.alice, nodeApp('probe'))).app_id;
    await putOk(hh, { scope: 'org', days: 1 });
    const old = await finishedRun(hh, hh.tokens.alice, { app_id: app });
    const partial = await hh.as(hh.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/apps/runs/${old.run.id}?delete_input=false&delete_output=false&delete_db_data=false`,
    });
    expect(partial.statusCode, partial.body).toBe(202);
    const logsJob = partial.json<{ delete_log_dir_job_id: string }>().delete_log_dir_job_id;
    expect((await waitForJob(hh, hh.tokens.alice, logsJob)).state).toBe('COMPLETE');
    await expectKept(hh, hh.tokens.alice, old.run.id);

    clock.offset = 2 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(1);
    await expectDeleted(hh, hh.tokens.alice, old);
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
  });
});

/**
 * Retention policies (our extension, SPEC §3 deletion and §4.3 jobs): org admins set, per org,
 * app or deployment, how many days finished runs are kept; a periodic sweep hands older runs to
 * the same deletion jobs as `DELETE /v2/apps/runs/{id}`, writing a "Retention:" line to the
 * run's log first. The most specific policy of a run applies. The clock is moved, not waited for.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sources } from '../../src/domain/sources.js';
import { systemSources } from '../../src/main.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitFor, waitForJob, type Harness } from '../helpers/harness.js';
import {
  ANY_STRING,
  createBatch,
  expectError,
  getLogs,
  getRun,
  matching,
  publishOk,
  startRunOk,
  waitForRun,
  type RunObject,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

interface Policy {
  id: string;
  scope: 'org' | 'app' | 'deployment';
  target_id: string;
  days: number;
  delete_input: boolean;
  delete_output: boolean;
  delete_logs: boolean;
  delete_db_data: boolean;
  created_by: string;
  created_at_ms: number;
  updated_at_ms: number;
}

const DAY = 24 * 3600 * 1000;
const ANY_NUMBER: unknown = expect.any(Number);
/** The periodic sweep never comes due by itself, whatever the clock says (tests sweep). */
const NO_PERIODIC_SWEEP = { RUNBOX_RETENTION_INTERVAL_MS: String(1e14) };

describeEachBackend('retention policies', (backend) => {
  let h: Harness | undefined;
  /** How far the server's clock is ahead of the real one. */
  let offset = 0;
  const sources: Sources = { clock: { now: () => Date.now() + offset }, ids: systemSources.ids };
  beforeEach(() => {
    offset = 0;
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function start(env: Record<string, string> = NO_PERIODIC_SWEEP): Promise<Harness> {
    h = await startHarness(backend, env, sources);
    return h;
  }

  const put = (hh: Harness, token: string, payload: Record<string, unknown>) =>
    hh.as(token, { method: 'PUT', url: '/api/v2/retention-policies', payload });

  async function putOk(hh: Harness, payload: Record<string, unknown>, token = hh.tokens.alice) {
    const res = await put(hh, token, payload);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Policy>();
  }

  async function listPolicies(hh: Harness, token: string): Promise<Policy[]> {
    const res = await hh.as(token, { method: 'GET', url: '/api/v2/retention-policies' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ policies: Policy[] }>().policies;
  }

  async function deploy(hh: Harness, name: string, app_id: string): Promise<string> {
    const res = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name, app_id },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  /** A finished run of the app (or deployment) over a new one-file batch; returns it and its batch. */
  async function finishedRun(
    hh: Harness,
    token: string,
    target: { app_id: string } | { deployment_id: string },
  ): Promise<{ run: RunObject; batch: number }> {
    const batch = await createBatch(hh, token, { 'note.txt': 'one two three' });
    let run: RunObject;
    if ('app_id' in target) {
      run = await startRunOk(hh, token, { app_id: target.app_id, batch_id: batch });
    } else {
      const res = await hh.as(token, {
        method: 'POST',
        url: `/api/v2/apps/deployments/${target.deployment_id}/runs`,
        payload: { batch_id: batch },
      });
      expect(res.statusCode, res.body).toBe(202);
      run = res.json<RunObject>();
    }
    expect((await waitForRun(hh, token, run.id)).status).toBe('COMPLETE');
    return { run, batch };
  }

  /** The deletion job retention (or DELETE) requested for a run. */
  async function deletionJob(hh: Harness, runId: string): Promise<string> {
    const row = await hh.runbox.store.runs.getById(runId);
    expect(row?.deletion_job_id, `deletion job of run ${runId}`).toEqual(expect.any(String));
    return row!.deletion_job_id!;
  }

  /**
   * Waits until the run is gone (404) and its batch's stored files with it. The deletion job
   * may already have run, taking the row that names it, so this waits for what a user sees.
   */
  async function expectDeleted(
    hh: Harness,
    token: string,
    { run, batch }: { run: RunObject; batch: number },
  ): Promise<void> {
    await waitFor(async () => {
      const res = await getRun(hh, token, run.id);
      return res.statusCode === 404 ? true : undefined;
    }, `run ${run.id} to be deleted`);
    expectError(await getRun(hh, token, run.id), 404, 'record-not-found');
    expect(await hh.runbox.blobs.list(`batches/${batch}`)).toEqual([]);
  }

  async function expectKept(hh: Harness, token: string, runId: string): Promise<void> {
    const res = await getRun(hh, token, runId);
    expect(res.statusCode, res.body).toBe(200);
    expect((await hh.runbox.store.runs.getById(runId))?.deletion_job_id).toBeNull();
  }

  it('lets org admins create, replace, list and delete policies; others are refused', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    expect(await listPolicies(hh, hh.tokens.alice)).toEqual([]);

    const org = await putOk(hh, { scope: 'org', days: 30 });
    expect(org).toEqual({
      id: ANY_STRING,
      scope: 'org',
      target_id: 'acme',
      days: 30,
      delete_input: true,
      delete_output: true,
      delete_logs: true,
      delete_db_data: true,
      created_by: 'alice',
      created_at_ms: ANY_NUMBER,
      updated_at_ms: ANY_NUMBER,
    });
    const app = await putOk(hh, {
      scope: 'app',
      target_id: app_id,
      days: 7,
      delete_input: false,
      delete_db_data: false,
    });
    expect(app).toMatchObject({
      scope: 'app',
      target_id: app_id,
      days: 7,
      delete_input: false,
      delete_output: true,
      delete_logs: true,
      delete_db_data: false,
    });
    expect((await listPolicies(hh, hh.tokens.alice)).map((p) => p.id).sort()).toEqual(
      [org.id, app.id].sort(),
    );

    // A second PUT for the same scope and target replaces that policy, keeping its id.
    offset = 1000;
    const replaced = await putOk(hh, { scope: 'org', days: 90, delete_logs: false });
    expect(replaced).toMatchObject({
      id: org.id,
      days: 90,
      delete_logs: false,
      delete_db_data: true,
      created_at_ms: org.created_at_ms,
    });
    expect(replaced.updated_at_ms).toBeGreaterThan(org.updated_at_ms);
    expect(await listPolicies(hh, hh.tokens.alice)).toHaveLength(2);
    expect((await listPolicies(hh, hh.tokens.alice)).find((p) => p.id === org.id)).toEqual(
      replaced,
    );

    // Members and service accounts may not read or change them; another org sees none of them.
    for (const token of [hh.tokens.bob, hh.tokens.robot]) {
      expectError(
        await hh.as(token, { method: 'GET', url: '/api/v2/retention-policies' }),
        403,
        'permission-denied',
      );
      expectError(await put(hh, token, { scope: 'org', days: 1 }), 403, 'permission-denied');
      expectError(
        await hh.as(token, { method: 'DELETE', url: `/api/v2/retention-policies/${org.id}` }),
        403,
        'permission-denied',
      );
    }
    expect(await listPolicies(hh, hh.tokens.eve)).toEqual([]);
    expectError(
      await hh.as(hh.tokens.eve, { method: 'DELETE', url: `/api/v2/retention-policies/${org.id}` }),
      404,
      'record-not-found',
    );
    expect((await listPolicies(hh, hh.tokens.alice)).find((p) => p.id === org.id)).toEqual(
      replaced,
    );

    const del = await hh.as(hh.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/retention-policies/${org.id}`,
    });
    expect(del.statusCode, del.body).toBe(204);
    expect(del.body).toBe('');
    expect((await listPolicies(hh, hh.tokens.alice)).map((p) => p.id)).toEqual([app.id]);
    expectError(
      await hh.as(hh.tokens.alice, {
        method: 'DELETE',
        url: `/api/v2/retention-policies/${org.id}`,
      }),
      404,
      'record-not-found',
    );
  });

  it('refuses bad policies: days out of range, unknown scope or field, missing or unknown target', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    const evesApp = (await publishOk(hh, hh.tokens.eve, nodeApp('probe'))).app_id;
    const evesDeployment = await hh.as(hh.tokens.eve, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name: 'eves', app_id: evesApp },
    });
    expect(evesDeployment.statusCode, evesDeployment.body).toBe(201);

    const bad400: Record<string, unknown>[] = [
      { scope: 'org', days: 0 },
      { scope: 'org', days: -3 },
      { scope: 'org', days: 1.5 },
      { scope: 'org', days: 36_501 },
      { scope: 'org' },
      { scope: 'workspace', days: 5 },
      { days: 5 },
      { scope: 'org', days: 5, delete_everything: true },
      { scope: 'org', days: 5, delete_logs: 'sometimes' },
      { scope: 'app', days: 5 },
      { scope: 'deployment', days: 5 },
      { scope: 'org', target_id: 'globex', days: 5 },
    ];
    for (const body of bad400) {
      expectError(await put(hh, hh.tokens.alice, body), 400, 'invalid-input');
    }
    const missing = expectError(
      await put(hh, hh.tokens.alice, { scope: 'app', days: 5 }),
      400,
      'invalid-input',
    );
    expect(missing).toMatch(/target_id/);

    for (const body of [
      { scope: 'app', target_id: 'no-such-app', days: 5 },
      { scope: 'app', target_id: evesApp, days: 5 },
      { scope: 'deployment', target_id: 'no-such-deployment', days: 5 },
      { scope: 'deployment', target_id: evesDeployment.json<{ id: string }>().id, days: 5 },
    ]) {
      expectError(await put(hh, hh.tokens.alice, body), 404, 'record-not-found');
    }
    // An app id is not a deployment id.
    expectError(
      await put(hh, hh.tokens.alice, { scope: 'deployment', target_id: app_id, days: 5 }),
      404,
      'record-not-found',
    );
    // Nothing was stored; the org target may be named explicitly.
    expect(await listPolicies(hh, hh.tokens.alice)).toEqual([]);
    expect(await putOk(hh, { scope: 'org', target_id: 'acme', days: 1 })).toMatchObject({
      scope: 'org',
      target_id: 'acme',
      days: 1,
    });
  });

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

    offset = 7 * DAY - 60_000; // not quite 7 days later
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    await expectKept(hh, hh.tokens.alice, oldA.run.id);

    offset = 8 * DAY;
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
    offset = 31 * DAY;
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
    offset = 4 * DAY;
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

    offset = 2 * DAY;
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
    offset = 5 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
    const again = await getLogs(hh, hh.tokens.alice, run.id);
    expect(again.match(/Retention:/g)).toHaveLength(1);
  });

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
      offset = days * DAY;
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
    offset = 2 * DAY;
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
    offset = 3 * DAY + 60_000;
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

    offset = 2 * DAY;
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

    offset = 2 * DAY;
    expect(await hh.runbox.services.retention.sweep()).toBe(1);
    await expectDeleted(hh, hh.tokens.alice, old);
    expect(await hh.runbox.services.retention.sweep()).toBe(0);
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

    offset = 2 * DAY;
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
    offset = 3 * DAY;
    await waitFor(async () => {
      const res = await getRun(hh, hh.tokens.alice, run.id);
      return res.statusCode === 404 ? true : undefined;
    }, 'the periodic sweep to delete the run');
    expectError(await getRun(hh, hh.tokens.alice, run.id), 404, 'record-not-found');
  });
});

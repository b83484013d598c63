/**
 * Shared by the retention suites (retention-*.test.ts): the policy calls, finished runs to
 * apply them to, and what a user sees of a run retention has taken or kept. The clock is moved,
 * not waited for.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { Sources } from '../../src/domain/sources.js';
import { systemSources } from '../../src/main.js';
import type { Backend } from '../helpers/backends.js';
import type { RetentionInfo } from '../../src/services/retention-service.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { deploymentCalls } from './deployment-fixtures.js';
import {
  createBatch,
  expectError,
  getRun,
  startRunOk,
  waitForRun,
  type RunObject,
} from './run-helpers.js';

export const DAY = 24 * 3600 * 1000;
export const ANY_NUMBER: unknown = expect.any(Number);
/** The periodic sweep never comes due by itself, whatever the clock says (tests sweep). */
const NO_PERIODIC_SWEEP = { RUNBOX_RETENTION_INTERVAL_MS: String(1e14) };

/**
 * A retention suite's setup: the server's clock runs `clock.offset` ms ahead of the real one
 * (0 at the start of each test), and the harness `start` makes is closed after each test.
 */
export function retentionSuite(backend: Backend) {
  let h: Harness | undefined;
  const clock = { offset: 0 };
  const sources: Sources = {
    clock: { now: () => Date.now() + clock.offset },
    ids: systemSources.ids,
  };
  beforeEach(() => {
    clock.offset = 0;
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  async function start(env: Record<string, string> = NO_PERIODIC_SWEEP): Promise<Harness> {
    h = await startHarness(backend, env, sources);
    return h;
  }
  return { clock, start };
}

export const put = (hh: Harness, token: string, payload: Record<string, unknown>) =>
  hh.as(token, { method: 'PUT', url: '/api/v2/retention-policies', payload });

export async function putOk(
  hh: Harness,
  payload: Record<string, unknown>,
  token = hh.tokens.alice,
) {
  const res = await put(hh, token, payload);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<RetentionInfo>();
}

export async function listPolicies(hh: Harness, token: string): Promise<RetentionInfo[]> {
  const res = await hh.as(token, { method: 'GET', url: '/api/v2/retention-policies' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ policies: RetentionInfo[] }>().policies;
}

/** Creates a deployment of the app as alice; returns its id. */
export async function deploy(hh: Harness, name: string, app_id: string): Promise<string> {
  return (await deploymentCalls(() => hh).createOk(hh.tokens.alice, { name, app_id })).id;
}

/** A finished run of the app (or deployment) over a new one-file batch; returns it and its batch. */
export async function finishedRun(
  hh: Harness,
  token: string,
  target: { app_id: string } | { deployment_id: string },
): Promise<{ run: RunObject; batch: number }> {
  const batch = await createBatch(hh, token, { 'note.txt': 'one two three' });
  const run =
    'app_id' in target
      ? await startRunOk(hh, token, { app_id: target.app_id, batch_id: batch })
      : await deploymentCalls(() => hh).runDeploymentOk(token, target.deployment_id, {
          batch_id: batch,
        });
  expect((await waitForRun(hh, token, run.id)).status).toBe('COMPLETE');
  return { run, batch };
}

/** The deletion job retention (or DELETE) requested for a run. */
export async function deletionJob(hh: Harness, runId: string): Promise<string> {
  const row = await hh.runbox.store.runs.getById(runId);
  expect(row?.deletion_job_id, `deletion job of run ${runId}`).toEqual(expect.any(String));
  return row!.deletion_job_id!;
}

/**
 * Waits until the run is gone (404) and its batch's stored files with it. The deletion job
 * may already have run, taking the row that names it, so this waits for what a user sees.
 */
export async function expectDeleted(
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

export async function expectKept(hh: Harness, token: string, runId: string): Promise<void> {
  const res = await getRun(hh, token, runId);
  expect(res.statusCode, res.body).toBe(200);
  expect((await hh.runbox.store.runs.getById(runId))?.deletion_job_id).toBeNull();
}

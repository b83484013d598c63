/**
 * Shared by the webhook suites (webhooks-*.test.ts): the events a receiver gets, a server with
 * the `probe` app published and short retry and lease times, and deployments that notify.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { Backend } from '../helpers/backends.js';
import { restartHarness, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { Receiver, type Received } from '../helpers/webhook-receiver.js';
import { deploymentCalls } from './deployment-fixtures.js';
import { createBatch, publishOk, type RunObject } from './run-helpers.js';
import { nodeApp } from './test-apps.js';

export interface EventBody {
  id: string;
  type: string;
  created_at: string;
  deployment_id: string;
  run: RunObject;
}

export const ALL_EVENTS = [
  'run.started',
  'run.completed',
  'run.failed',
  'run.cancelled',
  'run.stopped_at_checkpoint',
];

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const parse = (r: Received) => JSON.parse(r.body) as EventBody;

const ENV = { RUNBOX_WEBHOOK_RETRY_BASE_MS: '200', RUNBOX_JOB_LEASE_MS: '2000' };

/** A server with short webhook retry and job lease times, and alice's `probe` app published. */
async function startWithProbe(
  backend: Backend,
  env: Record<string, string> = {},
): Promise<Harness> {
  const h = await startHarness(backend, { ...ENV, ...env });
  await publishOk(h, h.tokens.alice, nodeApp('probe'));
  return h;
}

/**
 * A webhook suite's setup: a fresh receiver for each test, and the harness `start` (or
 * `restart`) makes; both closed after each test.
 */
export function webhookSuite(backend: Backend) {
  let h: Harness | undefined;
  let current: Receiver;
  beforeEach(async () => {
    current = await Receiver.start();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await current.close();
  });
  return {
    receiver: () => current,
    start: async (env: Record<string, string> = {}) => (h = await startWithProbe(backend, env)),
    restart: async (hh: Harness) => (h = await restartHarness(hh)),
  };
}

/** Creates a deployment of the `probe` app as alice; returns its id and signing secret. */
export async function deploy(
  hh: Harness,
  webhooks: { url: string; events: string[] }[],
  name = 'hooked',
  app_name = 'probe',
): Promise<{ id: string; webhook_secret: string }> {
  const body = await deploymentCalls(() => hh).createOk(hh.tokens.alice, {
    name,
    app_name,
    webhooks,
  });
  expect(body.webhook_secret).toEqual(expect.any(String));
  expect(body.webhooks).toEqual(webhooks);
  return { id: body.id, webhook_secret: body.webhook_secret! };
}

/** Starts a run of the deployment over a new batch of `files`. */
export async function runDeployment(
  hh: Harness,
  deploymentId: string,
  files: Record<string, string> = { 'a.txt': 'one two three' },
): Promise<RunObject> {
  const batch_id = await createBatch(hh, hh.tokens.alice, files);
  return deploymentCalls(() => hh).runDeploymentOk(hh.tokens.alice, deploymentId, { batch_id });
}

/** Every job has settled (nothing PENDING or RUNNING): no notification is still on its way. */
export function jobsSettled(hh: Harness): Promise<true> {
  return waitFor(async () => {
    const counts = await hh.runbox.store.jobs.countByState();
    return (counts.PENDING ?? 0) + (counts.RUNNING ?? 0) === 0 ? true : undefined;
  }, 'every job to settle');
}

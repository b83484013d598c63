/**
 * A whole Runbox in the test process on a fresh store, with two orgs and tokens ready:
 * - org `acme`: `alice` (admin), `bob` (member), service account `robot`, shared workspace `shared`
 * - org `globex`: `eve` (admin)
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import type { Sources } from '../../src/domain/sources.js';
import { createRunbox, type Runbox } from '../../src/main.js';
import { freshTarget, type Backend } from './backends.js';
import { until } from './poll.js';

export interface Harness {
  runbox: Runbox;
  backend: Backend;
  config: Config;
  tokens: { alice: string; bob: string; robot: string; eve: string };
  /** `app.inject` with `Authorization: Bearer <token>` added. */
  as(token: string, opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startHarness(
  backend: Backend,
  env: Record<string, string> = {},
  sources?: Sources,
): Promise<Harness> {
  const target = freshTarget(backend);
  const config = loadConfig({
    RUNBOX_DATA_DIR: target.dataDir,
    ...(target.databaseUrl ? { RUNBOX_DATABASE_URL: target.databaseUrl } : {}),
    ...(target.databaseSchema ? { RUNBOX_DATABASE_SCHEMA: target.databaseSchema } : {}),
    RUNBOX_LOG_LEVEL: process.env.RUNBOX_TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const runbox = await createRunbox(config, {
    logger: pino({ level: config.logLevel }),
    ...(sources ? { sources } : {}),
  });
  const a = runbox.admin;
  await a.createOrg('acme', 'Acme');
  await a.createOrg('globex', 'Globex');
  await a.createUser({ id: 'alice', orgId: 'acme', role: 'admin' });
  await a.createUser({ id: 'bob', orgId: 'acme', role: 'member' });
  await a.createUser({ id: 'robot', orgId: 'acme', kind: 'service', role: 'member' });
  await a.createUser({ id: 'eve', orgId: 'globex', role: 'admin' });
  await a.createWorkspace('acme', 'shared');
  const tokens = {
    alice: (await a.createToken('alice')).token,
    bob: (await a.createToken('bob')).token,
    robot: (await a.createToken('robot')).token,
    eve: (await a.createToken('eve')).token,
  };
  return {
    runbox,
    backend,
    config,
    tokens,
    as(token, opts) {
      return runbox.app.inject({
        ...opts,
        headers: { authorization: `Bearer ${token}`, ...(opts.headers ?? {}) },
      });
    },
    close: () => runbox.close(),
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export function waitFor<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  return until(what, check, timeoutMs);
}

/** Polls a job until it is no longer PENDING/RUNNING; returns its final status body. */
export async function waitForJob(
  h: Harness,
  token: string,
  jobId: string,
): Promise<{ state: string; message: string }> {
  return waitFor(async () => {
    const res = await h.as(token, { method: 'GET', url: `/api/v2/jobs/${jobId}` });
    const body = res.json<{ state: string; message: string }>();
    return body.state === 'PENDING' || body.state === 'RUNNING' ? undefined : body;
  }, `job ${jobId}`);
}

/**
 * Closes `h.runbox` and opens a new Runbox on the same data directory and database (the same
 * config, with `overrides` applied, and the same sources), as a restarted server would. The
 * orgs, users and tokens are those already stored; the returned Harness replaces `h`.
 */
export async function restartHarness(
  h: Harness,
  overrides: Partial<Config> = {},
): Promise<Harness> {
  await h.runbox.close();
  const config: Config = { ...h.config, ...overrides };
  const runbox = await createRunbox(config, {
    logger: pino({ level: config.logLevel }),
    sources: h.runbox.sources,
  });
  return {
    ...h,
    runbox,
    config,
    as(token, opts) {
      return runbox.app.inject({
        ...opts,
        headers: { authorization: `Bearer ${token}`, ...(opts.headers ?? {}) },
      });
    },
    close: () => runbox.close(),
  };
}

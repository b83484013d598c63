import { expect, it } from 'vitest';
import { describeEachBackend, freshTarget } from '../helpers/backends.js';
import {
  cliProcesses,
  freePort,
  printedToken,
  storeEnv,
  until,
  type CliChild,
} from './process-helpers.js';

/** Waits until `url` answers `status`; returns the response. Fails at once if `child` exits. */
async function answers(child: CliChild, url: string, status: number): Promise<Response> {
  return until(`${url} to answer ${status}`, async () => {
    if (child.exit) throw new Error(`the worker exited (${child.describe()})`);
    const res = await fetch(url).catch(() => undefined);
    return res?.status === status ? res : undefined;
  });
}

describeEachBackend('runbox worker --health-port', (backend) => {
  const cli = cliProcesses();

  it('serves /healthz, /readyz and /metrics (with a token where the API asks for one), and nothing else', async () => {
    const target = freshTarget(backend);
    const env = storeEnv(target, { RUNBOX_METRICS_AUTH: '1' });
    const token = await printedToken(await cli.serve(env, ['--no-workers']));
    const port = await freePort();
    const worker = cli.background(['worker', '--health-port', String(port)], env);
    const url = `http://127.0.0.1:${port}`;

    const ready = await answers(worker, `${url}/readyz`, 200);
    expect(await ready.json()).toMatchObject({ status: 'ready', backend });
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });

    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^runbox_db_queries_total \d+$/m);
    expect(text).toMatch(/^runbox_jobs\{state="PENDING"\} \d+$/m);

    // Not an API node: the API's paths are not here.
    const api = await fetch(`${url}/api/v2/batches`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(api.status).toBe(404);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });
});

const cli = cliProcesses();

it('answers /readyz 503 while the worker cannot reach its store, and /healthz 200', async () => {
  const target = freshTarget('sqlite');
  const port = await freePort();
  // Nothing listens on port 1: the worker keeps trying to reach its database.
  // The port from the environment this time.
  const worker = cli.background(
    ['worker'],
    storeEnv(target, {
      RUNBOX_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      RUNBOX_WORKER_HEALTH_PORT: String(port),
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const notReady = await answers(worker, `${url}/readyz`, 503);
  expect(await notReady.json()).toEqual({
    status: 'not-ready',
    reason: 'starting: reaching the store',
  });
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // SIGTERM while it is still trying: a clean exit.
  expect(await worker.stop()).toEqual({ code: 0, signal: null });
});

it('a bad --health-port is a usage error (exit 2) before anything starts', async () => {
  const target = freshTarget('sqlite');
  const result = await cli.run(['worker', '--health-port', '70000'], storeEnv(target));
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/port number from 0 to 65535/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

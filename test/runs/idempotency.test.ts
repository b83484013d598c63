/**
 * `Idempotency-Key` on the run-creating requests (`POST /v2/apps/runs` and
 * `POST /v2/apps/deployments/{id}/runs`): a repeat by the same user within 24 hours answers with
 * the run the first request made, also when the repeats arrive all at once; the key with another
 * request is a conflict; keys are per user, bounded, and expire.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { systemSources } from '../../src/main.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  expectError,
  listRuns,
  publishOk,
  waitForRun,
  type RunObject,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

const DAY_MS = 24 * 3600 * 1000;
const RUNS = '/api/v2/apps/runs';

describeEachBackend('idempotency keys', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const post = (token: string, url: string, payload: unknown, key?: string) =>
    h.as(token, {
      method: 'POST',
      url,
      payload: payload as Record<string, unknown>,
      headers: key === undefined ? {} : { 'idempotency-key': key },
    });
  function runOf(res: LightMyRequestResponse, status = 200): RunObject {
    expect(res.statusCode, res.body).toBe(status);
    return res.json<RunObject>();
  }
  /** Run ids in the org, oldest first; `from_timestamp=0` reaches back past any clock moves. */
  const runIds = async (query = '') =>
    (await listRuns(h, h.tokens.alice, `?from_timestamp=0&order=ASCENDING${query}`)).map(
      (r) => r.id,
    );

  /** The probe app and a batch in `shared`, which alice and bob can both run on. */
  async function setUp() {
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch_id = await createBatch(
      h,
      h.tokens.alice,
      { 'a.txt': 'one two' },
      { name: 'in', workspace: 'shared' },
    );
    return { app_id, batch_id };
  }

  it('20 identical requests at once with one key make one run, and every one answers with it', async () => {
    h = await startHarness(backend);
    const { app_id, batch_id } = await setUp();
    const body = { app_id, batch_id, output_workspace: 'shared', settings: { tags: ['order-42'] } };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(h.tokens.alice, RUNS, body, 'order-42')),
    );
    const runs = answers.map((res) => runOf(res));
    const id = runs[0]!.id;
    expect(new Set(runs.map((r) => r.id))).toEqual(new Set([id]));
    expect(runs.every((r) => r.batch_id === batch_id && r.app_id === app_id)).toBe(true);
    expect(await runIds()).toEqual([id]);
    const done = await waitForRun(h, h.tokens.alice, id);
    expect(done.status).toBe('COMPLETE');
    // The run executed once: one queued and one running status in its history.
    const events = await h.runbox.store.runEvents.since(id, 0, 1000);
    const states = events
      .filter((e) => e.kind === 'status')
      .map((e) => (JSON.parse(e.data) as { state: string }).state);
    expect(states).toEqual(['queued', 'running', 'complete']);

    // A later repeat answers with the run as it is now; the body's key order does not matter.
    const repeat = runOf(
      await post(
        h.tokens.alice,
        RUNS,
        { settings: { tags: ['order-42'] }, output_workspace: 'shared', batch_id, app_id },
        'order-42',
      ),
    );
    expect(repeat).toEqual(done);
    expect(await runIds()).toEqual([id]);
  });

  it('the key with another request is a conflict; keys are per user; no key, no deduplication', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id, batch_id } = await setUp();
    const body = { app_id, batch_id, output_workspace: 'shared' };
    const first = runOf(await post(h.tokens.alice, RUNS, body, 'k-1'));

    for (const other of [
      { ...body, settings: { tags: ['different'] } },
      { ...body, output_workspace: undefined },
      { app_name: 'probe', batch_id, output_workspace: 'shared' },
    ]) {
      const msg = expectError(await post(h.tokens.alice, RUNS, other, 'k-1'), 409, 'conflict');
      expect(msg).toMatch(/Idempotency-Key/);
    }
    expect(await runIds()).toEqual([first.id]);

    // Bob's key of the same name is his own: his own run, answered to his repeats.
    const bobs = runOf(await post(h.tokens.bob, RUNS, body, 'k-1'));
    expect(bobs.id).not.toBe(first.id);
    expect(runOf(await post(h.tokens.bob, RUNS, body, 'k-1')).id).toBe(bobs.id);
    expect(runOf(await post(h.tokens.alice, RUNS, body, 'k-1')).id).toBe(first.id);
    // Another org's user with the same key does not reach acme's run.
    expectError(await post(h.tokens.eve, RUNS, body, 'k-1'), 404, 'record-not-found');

    // Without a key every request makes a run.
    const plain = await Promise.all([1, 2, 3].map(() => post(h.tokens.alice, RUNS, body)));
    const plainIds = plain.map((res) => runOf(res).id);
    expect(new Set(plainIds).size).toBe(3);
    expect(await runIds()).toHaveLength(5);

    // Keys are 1 to 255 printable ASCII characters; others are refused before anything happens.
    const before = await runIds();
    for (const bad of ['x'.repeat(256), 'has space', '']) {
      expectError(await post(h.tokens.alice, RUNS, body, bad), 400, 'invalid-input');
    }
    expect(await runIds()).toEqual(before);
    const longest = runOf(await post(h.tokens.alice, RUNS, body, 'x'.repeat(255)));
    expect(runOf(await post(h.tokens.alice, RUNS, body, 'x'.repeat(255))).id).toBe(longest.id);

    // A refused request does not use its key up.
    expectError(
      await post(h.tokens.alice, RUNS, { ...body, batch_id: 999_999 }, 'k-2'),
      404,
      'record-not-found',
    );
    const afterRefusal = runOf(await post(h.tokens.alice, RUNS, body, 'k-2'));
    expect(await runIds()).toEqual([...before, longest.id, afterRefusal.id]);
  });

  it('the deployment runs endpoint honours keys the same way', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id, batch_id } = await setUp();
    const deploy = async (name: string) => {
      const res = await h.as(h.tokens.alice, {
        method: 'POST',
        url: '/api/v2/apps/deployments',
        payload: { name, app_id, workspace: 'shared' },
      });
      expect(res.statusCode, res.body).toBe(201);
      return `/api/v2/apps/deployments/${res.json<{ id: string }>().id}/runs`;
    };
    const nightly = await deploy('nightly');
    const hourly = await deploy('hourly');
    const body = { batch_id, settings: { keys: { custom: { mode: 'full' } } } };

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(h.tokens.alice, nightly, body, 'batch-7')),
    );
    const runs = answers.map((res) => runOf(res, 202));
    const id = runs[0]!.id;
    expect(new Set(runs.map((r) => r.id))).toEqual(new Set([id]));
    const deploymentId = runs[0]!.deployment_id!;
    expect(await runIds(`&deployment_id=${deploymentId}`)).toEqual([id]);
    expect(runOf(await post(h.tokens.alice, nightly, body, 'batch-7'), 202).id).toBe(id);

    // The same key with another body, another deployment, or the plain runs endpoint: conflict.
    for (const [url, other] of [
      [nightly, { batch_id }],
      [hourly, body],
      [RUNS, { app_id, batch_id, output_workspace: 'shared' }],
    ] as const) {
      expectError(await post(h.tokens.alice, url, other, 'batch-7'), 409, 'conflict');
    }
    expectError(await post(h.tokens.alice, nightly, body, 'y'.repeat(256)), 400, 'invalid-input');
    expect(await runIds()).toEqual([id]);
    // Without a key, a new run each time.
    const again = runOf(await post(h.tokens.alice, nightly, body), 202);
    expect(again.id).not.toBe(id);
    expect(await runIds(`&deployment_id=${deploymentId}`)).toEqual([id, again.id]);
  });

  it('after 24 hours the same key makes a new run', async () => {
    let offset = 0;
    h = await startHarness(
      backend,
      { RUNBOX_WORKERS: 'false' },
      { clock: { now: () => Date.now() + offset }, ids: systemSources.ids },
    );
    const { app_id, batch_id } = await setUp();
    const body = { app_id, batch_id };
    const first = runOf(await post(h.tokens.alice, RUNS, body, 'daily'));

    offset = DAY_MS - 60_000;
    expect(runOf(await post(h.tokens.alice, RUNS, body, 'daily')).id).toBe(first.id);
    expectError(
      await post(h.tokens.alice, RUNS, { ...body, settings: { tags: ['x'] } }, 'daily'),
      409,
      'conflict',
    );

    // Past the window the key is free again, for any request; it then belongs to the new one.
    offset = DAY_MS + 60_000;
    const fresh = runOf(
      await post(h.tokens.alice, RUNS, { ...body, settings: { tags: ['x'] } }, 'daily'),
    );
    expect(fresh.id).not.toBe(first.id);
    expect(fresh.tags).toEqual(['x']);
    expect(
      runOf(await post(h.tokens.alice, RUNS, { ...body, settings: { tags: ['x'] } }, 'daily')).id,
    ).toBe(fresh.id);
    expectError(await post(h.tokens.alice, RUNS, body, 'daily'), 409, 'conflict');
    expect(await runIds()).toEqual([first.id, fresh.id]);
  });
});

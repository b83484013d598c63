/**
 * Deployments (SPEC §4.1, §4.2), running through them: with the stored keys and secret aliases
 * that the request overrides, the run list filtered by deployment, and the concurrency limit.
 * The records themselves are in deployments-crud.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { deploymentCalls, echoApp, UUID_V7 } from './deployment-fixtures.js';
import {
  createBatch,
  expectError,
  fieldValues,
  getLogs,
  getRun,
  listRuns,
  matching,
  publishOk,
  results,
  startRunOk,
  waitForLog,
  waitForRun,
  type RunObject,
} from './run-helpers.js';
import { sha256 } from './secrets-fixtures.js';
import { nodeApp } from './test-apps.js';

describeEachBackend('deployments', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { remove, runDeployment, createOk, getOk, runDeploymentOk } = deploymentCalls(() => h);

  /** The echo app's answer for a finished run: version, keys and secret digests. */
  async function echoed(token: string, runId: string) {
    const done = await waitForRun(h, token, runId);
    expect(done.status, done.msg ?? '').toBe('COMPLETE');
    const v = fieldValues((await results(h, token, runId)).files[0]!.documents[0]!.fields);
    return {
      version: v.version,
      keys: JSON.parse(v.keys!) as unknown,
      secrets: JSON.parse(v.secrets!) as unknown,
    };
  }
  async function createSecret(alias: string, value: string) {
    const res = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/aihub/secrets',
      payload: { alias, value, allowed_workspaces_type: 'ALL' },
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  it('runs with the stored keys and secret aliases, overridden by the request; lists by deployment', async () => {
    h = await startHarness(backend);
    await createSecret('token-a', 'alpha-secret-value-1');
    await createSecret('token-b', 'bravo-secret-value-2');
    const { app_id } = await publishOk(h, h.tokens.alice, echoApp('1.0.0'));
    const newest = await createOk(h.tokens.alice, {
      name: 'newest',
      app_name: 'echo',
      workspace: 'shared',
      keys: { custom: { currency: 'CHF', region: 'eu' }, secret: { API_TOKEN: 'token-a' } },
    });
    const pinned = await createOk(h.tokens.alice, { name: 'pinned', app_id, version: '1.0.0' });
    await publishOk(h, h.tokens.alice, echoApp('1.1.0'));
    const batch = await createBatch(
      h,
      h.tokens.alice,
      { 'a.txt': 'hello' },
      {
        name: 'in',
        workspace: 'shared',
      },
    );

    // Stored settings, newest version (published after the deployment was made).
    const plain = await runDeploymentOk(h.tokens.alice, newest.id, { batch_id: batch });
    expect(plain).toMatchObject({
      id: matching(UUID_V7),
      status: 'RUNNING',
      msg: matching(/queued/i),
      app_id,
      deployment_id: newest.id,
      batch_id: batch,
    });
    expect(await echoed(h.tokens.alice, plain.id)).toEqual({
      version: '1.1.0',
      keys: { currency: 'CHF', region: 'eu', mode: 'fast' },
      secrets: { API_TOKEN: sha256('alpha-secret-value-1') },
    });

    // The request's keys win over the stored ones, key by key; stored ones stay stored.
    const overridden = await runDeploymentOk(h.tokens.bob, newest.id, {
      batch_id: batch,
      settings: {
        keys: {
          custom: { region: 'ap', extra: 7 },
          secret: { API_TOKEN: 'token-b', SECOND: 'token-a' },
        },
        tags: ['override'],
      },
    });
    expect(overridden).toMatchObject({ deployment_id: newest.id, tags: ['override'] });
    expect(await echoed(h.tokens.bob, overridden.id)).toEqual({
      version: '1.1.0',
      keys: { currency: 'CHF', region: 'ap', mode: 'fast', extra: 7 },
      secrets: {
        API_TOKEN: sha256('bravo-secret-value-2'),
        SECOND: sha256('alpha-secret-value-1'),
      },
    });
    expect((await results(h, h.tokens.bob, overridden.id)).keys.custom).toEqual({
      currency: 'CHF',
      region: 'ap',
      extra: 7,
    });
    expect((await getOk(h.tokens.alice, newest.id)).keys).toEqual({
      custom: { currency: 'CHF', region: 'eu' },
      secret: { API_TOKEN: 'token-a' },
    });

    // A pinned version runs that version; the request may pick another.
    const old = await runDeploymentOk(h.tokens.alice, pinned.id, { batch_id: batch });
    expect(await echoed(h.tokens.alice, old.id)).toEqual({
      version: '1.0.0',
      keys: { currency: 'EUR', region: 'us', mode: 'fast' },
      secrets: {},
    });
    const picked = await runDeploymentOk(h.tokens.alice, pinned.id, {
      batch_id: batch,
      version: '1.1.0',
    });
    expect((await echoed(h.tokens.alice, picked.id)).version).toBe('1.1.0');
    // A service account has no personal workspace: only a deployment with one runs for it.
    expectError(
      await runDeployment(h.tokens.robot, pinned.id, { batch_id: batch }),
      400,
      'invalid-input',
    );
    const robots = await runDeploymentOk(h.tokens.robot, newest.id, { batch_id: batch });
    expect((await echoed(h.tokens.robot, robots.id)).keys).toEqual({
      currency: 'CHF',
      region: 'eu',
      mode: 'fast',
    });
    const direct = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    expect(direct.deployment_id).toBeNull();
    await waitForRun(h, h.tokens.alice, direct.id);

    // The list filtered by deployment shows exactly its runs, each saying which it was.
    const ids = (runs: RunObject[]) => runs.map((r) => r.id).sort();
    const ofNewest = await listRuns(h, h.tokens.alice, `?deployment_id=${newest.id}`);
    expect(ids(ofNewest)).toEqual([plain.id, overridden.id, robots.id].sort());
    expect(ofNewest.every((r) => r.deployment_id === newest.id)).toBe(true);
    expect(ids(await listRuns(h, h.tokens.alice, `?deployment_id=${pinned.id}`))).toEqual(
      [old.id, picked.id].sort(),
    );
    expect(
      ids(await listRuns(h, h.tokens.alice, `?deployment_id=${newest.id}&username=bob`)),
    ).toEqual([overridden.id]);
    expect(await listRuns(h, h.tokens.alice, '?deployment_id=no-such-deployment')).toEqual([]);
    expect(await listRuns(h, h.tokens.eve, `?deployment_id=${newest.id}`)).toEqual([]);
    expect(ids(await listRuns(h, h.tokens.alice))).toEqual(
      [plain.id, overridden.id, robots.id, old.id, picked.id, direct.id].sort(),
    );
    // The deployment's workspace is where its runs' output goes.
    expect(ids(await listRuns(h, h.tokens.alice, '?output_workspaces=shared'))).toEqual(
      [plain.id, overridden.id, robots.id].sort(),
    );

    // Deleting the deployment leaves its runs readable and listed under its id.
    expect((await remove(h.tokens.alice, newest.id)).statusCode).toBe(204);
    expect((await getRun(h, h.tokens.alice, plain.id)).json<RunObject>()).toMatchObject({
      status: 'COMPLETE',
      deployment_id: newest.id,
    });
    expect(ids(await listRuns(h, h.tokens.alice, `?deployment_id=${newest.id}`))).toEqual(
      [plain.id, overridden.id, robots.id].sort(),
    );
  });

  it('a concurrency limit of 1 runs one of its runs at a time; the others wait, then all complete', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const gate = join(h.config.dataDir, 'gate-open');
    const limited = await createOk(h.tokens.alice, {
      name: 'one-at-a-time',
      app_id,
      concurrency_limit: 1,
      keys: { custom: { gate } },
    });
    const gated = await createBatch(h, h.tokens.alice, { 'gate.txt': 'a b c' });
    const runs: RunObject[] = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await runDeploymentOk(h.tokens.alice, limited.id, { batch_id: gated }));
    }
    const logs = () => Promise.all(runs.map((r) => getLogs(h, h.tokens.alice, r.id)));
    const atGate = async () => (await logs()).filter((l) => l.includes('waiting at gate'));
    await waitForLog(h, h.tokens.alice, runs[0]!.id, 'waiting at gate');

    // A run of the same app queued after them starts and finishes: the worker has claimed since,
    // and passed over the deployment's waiting runs.
    const plainBatch = await createBatch(h, h.tokens.alice, { 'plain.txt': 'x y' });
    const witness = await startRunOk(h, h.tokens.alice, { app_id, batch_id: plainBatch });
    expect((await waitForRun(h, h.tokens.alice, witness.id)).status).toBe('COMPLETE');

    const [first, ...waiting] = runs;
    expect(await atGate()).toHaveLength(1);
    const firstLog = await getLogs(h, h.tokens.alice, first!.id);
    expect(firstLog).toMatch(/\[status\] running:/);
    for (const r of waiting) {
      const status = (await getRun(h, h.tokens.alice, r.id)).json<RunObject>();
      expect(status).toMatchObject({ status: 'RUNNING', msg: matching(/queued/i) });
      expect(await getLogs(h, h.tokens.alice, r.id)).not.toMatch(/\[status\] running:/);
      expect((await h.runbox.store.runs.get('acme', r.id))?.state).toBe('queued');
    }

    writeFileSync(gate, '');
    for (const r of runs) {
      const done = await waitForRun(h, h.tokens.alice, r.id);
      expect(done.status, done.msg ?? '').toBe('COMPLETE');
    }
    // Never two at once: each run started only after the one before it had finished.
    const spans = await Promise.all(
      runs.map(async (r) => {
        const events = await h.runbox.store.runEvents.since(r.id, 0, 1000);
        const states = events
          .filter((e) => e.kind === 'status')
          .map((e) => ({ id: e.id, state: (JSON.parse(e.data) as { state: string }).state }));
        return {
          started: states.find((s) => s.state === 'running')!.id,
          finished: states.find((s) => s.state === 'complete')!.id,
        };
      }),
    );
    spans.sort((a, b) => a.started - b.started);
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]!.started).toBeGreaterThan(spans[i - 1]!.finished);
    }
    expect(await atGate()).toHaveLength(3);
  });
});

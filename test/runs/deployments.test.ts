/**
 * Deployments (SPEC §4.1, §4.2): creating, reading, changing and deleting them with their
 * permissions; running an app through one with stored keys and secret aliases that the request
 * overrides; the run list filtered by deployment; the concurrency limit; and the bad input of
 * each endpoint, refused with nothing stored or changed.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { DeploymentInfo } from '../../src/services/deployment-service.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
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
import { nodeApp, writeApp } from './test-apps.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DEPLOYMENTS = '/api/v2/apps/deployments';

type DeploymentBody = Omit<DeploymentInfo, 'webhook_secret'> & { webhook_secret?: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A node app that returns what it was given: its own version, `ctx.keys`, and for each secret in
 * `ctx.secrets` the SHA-256 of its value (null when empty), so a test can tell which value
 * arrived without the value appearing in any result.
 */
function echoApp(version: string) {
  return writeApp(
    {
      name: 'echo',
      version,
      runtime: 'node',
      entry: 'index.mjs',
      keys: {
        currency: { type: 'string', default: 'EUR' },
        region: { type: 'string', default: 'us' },
        mode: { type: 'string', default: 'fast' },
      },
      secrets: ['API_TOKEN'],
    },
    {
      'index.mjs': `
import { createHash } from 'node:crypto';
export default async function (file, ctx) {
  const secrets = Object.fromEntries(Object.entries(ctx.secrets).map(([k, v]) => [
    k, typeof v === 'string' && v.length > 0 ? createHash('sha256').update(v).digest('hex') : null,
  ]));
  return [{ class_name: 'Echo', page_numbers: [1], fields: {
    version: ${JSON.stringify(version)},
    keys: JSON.stringify(ctx.keys),
    secrets: JSON.stringify(secrets),
  } }];
}
`,
    },
  );
}

describeEachBackend('deployments', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const create = (token: string, payload: Record<string, unknown>) =>
    h.as(token, { method: 'POST', url: DEPLOYMENTS, payload });
  const get = (token: string, id: string) =>
    h.as(token, { method: 'GET', url: `${DEPLOYMENTS}/${id}` });
  const patch = (token: string, id: string, payload: Record<string, unknown>) =>
    h.as(token, { method: 'PATCH', url: `${DEPLOYMENTS}/${id}`, payload });
  const remove = (token: string, id: string) =>
    h.as(token, { method: 'DELETE', url: `${DEPLOYMENTS}/${id}` });
  const runDeployment = (
    token: string,
    id: string,
    payload: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => h.as(token, { method: 'POST', url: `${DEPLOYMENTS}/${id}/runs`, payload, headers });

  async function createOk(token: string, payload: Record<string, unknown>) {
    const res = await create(token, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<DeploymentBody>();
  }
  async function getOk(token: string, id: string) {
    const res = await get(token, id);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<DeploymentBody>();
  }
  async function list(token: string, query = '') {
    const res = await h.as(token, { method: 'GET', url: `${DEPLOYMENTS}${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ deployments: DeploymentBody[] }>().deployments;
  }
  async function runDeploymentOk(token: string, id: string, payload: Record<string, unknown>) {
    const res = await runDeployment(token, id, payload);
    expect(res.statusCode, res.body).toBe(202);
    return res.json<RunObject>();
  }
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

  it('creates, reads, lists, changes and deletes; the webhook secret is shown only when issued', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, echoApp('1.0.0'));
    const before = Date.now();
    const created = await createOk(h.tokens.bob, {
      name: 'invoices',
      app_name: 'echo',
      workspace: 'shared',
      keys: { custom: { currency: 'CHF' }, secret: { API_TOKEN: 'ocr-token' } },
      review_policy: 'on_validation_failure',
      webhooks: [{ url: 'https://hooks.example.com/runbox', events: ['run.completed'] }],
      concurrency_limit: 2,
    });
    expect(created).toEqual({
      id: matching(UUID_V7),
      name: 'invoices',
      app_id,
      version: null,
      workspace: 'shared',
      keys: { custom: { currency: 'CHF' }, secret: { API_TOKEN: 'ocr-token' } },
      review_policy: 'on_validation_failure',
      webhooks: [{ url: 'https://hooks.example.com/runbox', events: ['run.completed'] }],
      concurrency_limit: 2,
      created_by: 'bob',
      created_at_ms: created.created_at_ms,
      updated_at_ms: created.created_at_ms,
      webhook_secret: matching(/^whsec_[A-Za-z0-9_-]{32}$/),
    });
    expect(created.created_at_ms).toBeGreaterThanOrEqual(before);
    const firstSecret = created.webhook_secret!;
    const shown: DeploymentBody = { ...created };
    delete shown.webhook_secret;

    // Reading never shows the webhook secret again: not to its creator, not to an admin.
    for (const token of [h.tokens.bob, h.tokens.alice]) {
      const res = await get(token, created.id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(shown);
      expect(res.body).not.toContain(firstSecret);
    }
    const other = await createOk(h.tokens.alice, { name: 'receipts', app_id, version: '1.0.0' });
    expect(other).toMatchObject({ version: '1.0.0', workspace: null, created_by: 'alice' });
    expect(other.webhook_secret).not.toBe(firstSecret);
    const listed = await h.as(h.tokens.bob, { method: 'GET', url: DEPLOYMENTS });
    expect(listed.body).not.toContain(firstSecret);
    const everyOne = listed.json<{ deployments: DeploymentBody[] }>().deployments;
    expect(everyOne.map((d) => d.id).sort()).toEqual([other.id, created.id].sort());
    expect(everyOne.find((d) => d.id === created.id)).toEqual(shown);
    // Pages of one: together, both; each without a webhook secret.
    const pages = [
      ...(await list(h.tokens.bob, `?app_id=${app_id}&limit=1`)),
      ...(await list(h.tokens.bob, `?app_id=${app_id}&limit=1&offset=1`)),
    ];
    expect(pages.map((d) => d.id).sort()).toEqual([other.id, created.id].sort());
    expect(pages.some((d) => 'webhook_secret' in d)).toBe(false);
    expect(await list(h.tokens.bob, '?app_id=no-such-app')).toEqual([]);
    expect(await list(h.tokens.eve)).toEqual([]);

    // The creator changes what is given; the rest stays; no secret unless rotated.
    const changed = await patch(h.tokens.bob, created.id, {
      name: 'invoices-eu',
      version: '1.0.0',
      concurrency_limit: null,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const afterChange = changed.json<DeploymentBody>();
    expect(afterChange).toEqual({
      ...shown,
      name: 'invoices-eu',
      version: '1.0.0',
      concurrency_limit: null,
      updated_at_ms: afterChange.updated_at_ms,
    });
    expect(afterChange.updated_at_ms).toBeGreaterThanOrEqual(created.updated_at_ms);
    expect(await getOk(h.tokens.bob, created.id)).toEqual(changed.json());

    const rotated = await patch(h.tokens.bob, created.id, { rotate_webhook_secret: true });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const newSecret = rotated.json<DeploymentBody>().webhook_secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(firstSecret);
    // What webhook deliveries will be signed with is the new secret.
    const row = await h.runbox.store.deployments.get('acme', created.id);
    expect(h.runbox.services.deployments.webhookSecret(row!)).toBe(newSecret);
    expect((await get(h.tokens.bob, created.id)).body).not.toContain(newSecret!);

    // An org admin may change and delete anyone's deployment.
    const byAdmin = await patch(h.tokens.alice, created.id, {
      keys: { custom: { currency: 'USD' } },
    });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    // `custom` and `secret` are each replaced when given and kept when left out.
    expect(byAdmin.json<DeploymentBody>().keys).toEqual({
      custom: { currency: 'USD' },
      secret: { API_TOKEN: 'ocr-token' },
    });
    const secretsCleared = await patch(h.tokens.bob, created.id, { keys: { secret: {} } });
    expect(secretsCleared.json<DeploymentBody>().keys).toEqual({
      custom: { currency: 'USD' },
      secret: {},
    });
    expect((await getOk(h.tokens.bob, created.id)).keys).toEqual({
      custom: { currency: 'USD' },
      secret: {},
    });

    // Other members may not; other orgs do not see it at all. Nothing changes.
    const aliceBefore = await getOk(h.tokens.alice, other.id);
    for (const token of [h.tokens.bob, h.tokens.robot]) {
      expectError(await patch(token, other.id, { name: 'mine-now' }), 403, 'permission-denied');
      expectError(await remove(token, other.id), 403, 'permission-denied');
    }
    for (const res of [
      await get(h.tokens.eve, other.id),
      await patch(h.tokens.eve, other.id, { name: 'stolen' }),
      await remove(h.tokens.eve, other.id),
      await runDeployment(h.tokens.eve, other.id, { batch_id: 1 }),
    ]) {
      expectError(res, 404, 'record-not-found');
    }
    expect(await getOk(h.tokens.alice, other.id)).toEqual(aliceBefore);

    // Delete: 204 with no body; then it is gone for every verb.
    const deleted = await remove(h.tokens.bob, created.id);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expectError(await get(h.tokens.bob, created.id), 404, 'record-not-found');
    expectError(await remove(h.tokens.bob, created.id), 404, 'record-not-found');
    expectError(await patch(h.tokens.bob, created.id, { name: 'x' }), 404, 'record-not-found');
    const batch = await createBatch(h, h.tokens.bob, { 'a.txt': 'a' });
    expectError(
      await runDeployment(h.tokens.bob, created.id, { batch_id: batch }),
      404,
      'record-not-found',
    );
    expect((await list(h.tokens.alice)).map((d) => d.id)).toEqual([other.id]);
    expect((await remove(h.tokens.alice, other.id)).statusCode).toBe(204);
    expect(await list(h.tokens.alice)).toEqual([]);
  });

  it('refuses bad input with its error type, storing and changing nothing', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, echoApp('1.0.0'));
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: 'd', app_name: 'no-such-app' }, 404, 'record-not-found'],
      [{ name: 'd', app_id: '0190aaaa-0000-7000-8000-000000000000' }, 404, 'record-not-found'],
      [{ name: 'd', app_id, version: '9.9.9' }, 404, 'record-not-found'],
      [{ name: 'd', app_id, workspace: 'no-such-workspace' }, 404, 'record-not-found'],
      [{ name: 'd', app_id, app_name: 'echo' }, 400, 'invalid-input'],
      [{ name: 'd' }, 400, 'invalid-input'],
      [{ app_id }, 400, 'invalid-input'],
      [{ name: '', app_id }, 400, 'invalid-input'],
      [{ name: 'x'.repeat(256), app_id }, 400, 'invalid-input'],
      [{ name: 'd', app_id, colour: 'blue' }, 400, 'invalid-input'],
      [{ name: 'd', app_id, keys: { custom: {}, other: {} } }, 400, 'invalid-input'],
      [{ name: 'd', app_id, keys: { secret: { API_TOKEN: 5 } } }, 400, 'invalid-input'],
      [{ name: 'd', app_id, review_policy: 'sometimes' }, 400, 'invalid-input'],
      [{ name: 'd', app_id, concurrency_limit: 0 }, 400, 'invalid-input'],
      [{ name: 'd', app_id, concurrency_limit: 1.5 }, 400, 'invalid-input'],
      [{ name: 'd', app_id, manual_upstream_integration: true }, 400, 'invalid-input'],
    ];
    for (const url of [
      'ftp://x',
      'javascript:alert(1)',
      'not a url',
      '/relative/path',
      'http://user:password@hooks.example.com/',
    ]) {
      cases.push([
        { name: 'd', app_id, webhooks: [{ url, events: ['run.completed'] }] },
        400,
        'invalid-input',
      ]);
    }
    cases.push(
      [
        {
          name: 'd',
          app_id,
          webhooks: [{ url: 'https://h.example.com', events: ['run.exploded'] }],
        },
        400,
        'invalid-input',
      ],
      [
        { name: 'd', app_id, webhooks: [{ url: 'https://h.example.com', events: [] }] },
        400,
        'invalid-input',
      ],
    );
    for (const [payload, status, type] of cases) {
      const res = await create(h.tokens.alice, payload);
      expect({ payload, status: res.statusCode }, res.body).toEqual({ payload, status });
      expectError(res, status, type);
    }
    // A member may not aim a deployment at another member's personal workspace.
    expectError(
      await create(h.tokens.bob, { name: 'd', app_id, workspace: 'alice' }),
      404,
      'record-not-found',
    );
    const badUrl = await create(h.tokens.alice, {
      name: 'd',
      app_id,
      webhooks: [{ url: 'javascript:alert(1)', events: ['run.completed'] }],
    });
    expect(expectError(badUrl, 400, 'invalid-input')).toMatch(/webhooks\[0\]\.url/);
    expect(await list(h.tokens.alice)).toEqual([]);

    // Names are unique in an org (not across orgs).
    const first = await createOk(h.tokens.alice, { name: 'invoices', app_id });
    const second = await createOk(h.tokens.alice, { name: 'receipts', app_id });
    expectError(await create(h.tokens.bob, { name: 'invoices', app_id }), 409, 'conflict');
    // Racing creates of one name: one wins, the others are told it exists.
    const racing = await Promise.all(
      [1, 2, 3, 4, 5].map(() => create(h.tokens.alice, { name: 'racing', app_id })),
    );
    expect(racing.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const r of racing.filter((x) => x.statusCode === 409)) expectError(r, 409, 'conflict');
    const theirs = await publishOk(h, h.tokens.eve, echoApp('1.0.0'));
    await createOk(h.tokens.eve, { name: 'invoices', app_id: theirs.app_id });
    expect((await list(h.tokens.alice)).map((d) => d.name).sort()).toEqual([
      'invoices',
      'racing',
      'receipts',
    ]);

    // Changing: the same rules, and the deployment stays as it was.
    const firstBefore = await getOk(h.tokens.alice, first.id);
    const secondBefore = await getOk(h.tokens.alice, second.id);
    for (const [payload, status, type] of [
      [{ name: 'invoices' }, 409, 'conflict'],
      [{ version: '9.9.9' }, 404, 'record-not-found'],
      [{ workspace: 'no-such-workspace' }, 404, 'record-not-found'],
      [{ webhooks: [{ url: 'ftp://x', events: ['run.failed'] }] }, 400, 'invalid-input'],
      [{ webhooks: [{ url: 'not a url', events: ['run.failed'] }] }, 400, 'invalid-input'],
      [{ app_id }, 400, 'invalid-input'],
      [{ concurrency_limit: -1 }, 400, 'invalid-input'],
      [{ name: '' }, 400, 'invalid-input'],
      [{ colour: 'blue' }, 400, 'invalid-input'],
    ] as const) {
      expectError(await patch(h.tokens.alice, second.id, payload), status, type);
    }
    expect(await getOk(h.tokens.alice, first.id)).toEqual(firstBefore);
    expect(await getOk(h.tokens.alice, second.id)).toEqual(secondBefore);

    // Running: unknown deployment, unsupported upstream integration, unknown fields, other org.
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    for (const [id, payload, status, type] of [
      ['0190aaaa-0000-7000-8000-000000000000', { batch_id: batch }, 404, 'record-not-found'],
      ['not-a-deployment', { batch_id: batch }, 404, 'record-not-found'],
      [first.id, { manual_upstream_integration: true }, 400, 'invalid-input'],
      [first.id, { batch_id: batch, manual_upstream_integration: true }, 400, 'invalid-input'],
      [first.id, { batch_id: batch, app_name: 'echo' }, 400, 'invalid-input'],
      [first.id, { batch_id: batch, colour: 'blue' }, 400, 'invalid-input'],
      [first.id, {}, 400, 'invalid-input'],
      [first.id, { batch_id: batch, version: '9.9.9' }, 404, 'record-not-found'],
      [first.id, { batch_id: 999_999 }, 404, 'record-not-found'],
    ] as const) {
      expectError(await runDeployment(h.tokens.alice, id, payload), status, type);
    }
    expectError(
      await runDeployment(h.tokens.eve, first.id, { batch_id: batch }),
      404,
      'record-not-found',
    );
    expect(await listRuns(h, h.tokens.alice)).toEqual([]);
  });

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

/**
 * Deployments (SPEC §4.1, §4.2), the records: creating, reading, listing, changing and deleting
 * them with their permissions, and the bad input of each endpoint, refused with nothing stored
 * or changed. Running through them is in deployments-runs.test.ts.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  DEPLOYMENTS,
  deploymentCalls,
  echoApp,
  UUID_V7,
  type DeploymentBody,
} from './deployment-fixtures.js';
import { createBatch, expectError, listRuns, matching, publishOk } from './run-helpers.js';

describeEachBackend('deployments', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { create, get, patch, remove, runDeployment, createOk, getOk, list } = deploymentCalls(
    () => h,
  );

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
});

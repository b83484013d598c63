/**
 * Org secrets over `/api/v2/aihub/secrets` in the reference's shape: values write-only and
 * sealed, writes by admins only, who may list what; bad input refused, changing nothing.
 */
import { afterEach, expect, it } from 'vitest';
import { systemSources } from '../../src/main.js';
import type { SecretInfo } from '../../src/services/secret-service.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectError } from './run-helpers.js';
import { URL, VALUE, secretCalls } from './secrets-fixtures.js';

describeEachBackend('secrets: the API', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { send, sendOk, list, aliases, one, sealed } = secretCalls(() => h);

  it('creates, lists, updates and deletes in the shape of the reference, values write-only', async () => {
    let now = Date.UTC(2026, 1, 3, 10, 0, 0, 250);
    h = await startHarness(
      backend,
      { RUNBOX_WORKERS: 'false' },
      {
        clock: { now: () => now },
        ids: systemSources.ids,
      },
    );
    await h.runbox.admin.createUser({ id: 'carol', orgId: 'acme', role: 'admin' });
    const carol = (await h.runbox.admin.createToken('carol')).token;

    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      description: 'OCR service key',
      value: VALUE,
      allowed_workspaces_type: 'ALL',
      allowed_workspaces: ['shared'],
    });
    const expected: SecretInfo = {
      alias: 'ocr-token',
      description: 'OCR service key',
      allowed_workspaces_type: 'ALL',
      // "Required when SOME, otherwise ignored."
      allowed_workspaces: [],
      org: 'acme',
      created_at: now,
      created_by: 'alice',
      updated_at: now,
      last_updated_by: 'alice',
    };
    expect(await list(h.tokens.alice)).toEqual([expected]);
    expect(await list(h.tokens.alice, '?alias=ocr-token')).toEqual([expected]);
    expect(await list(h.tokens.alice, '?alias=other')).toEqual([]);
    const firstSeal = await sealed('ocr-token');

    // A change of description alone keeps the value (the sealed bytes are the same).
    now += 5_000;
    await sendOk(carol, 'PATCH', { alias: 'ocr-token', description: 'OCR key (prod)' });
    const described = {
      ...expected,
      description: 'OCR key (prod)',
      updated_at: now,
      last_updated_by: 'carol',
    };
    expect(await one('ocr-token')).toEqual(described);
    expect(await sealed('ocr-token')).toBe(firstSeal);

    // A new value is sealed anew; the rest stays.
    now += 5_000;
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', value: 'sk-live-rotated-value-2' });
    expect(await one('ocr-token')).toEqual({
      ...described,
      updated_at: now,
      last_updated_by: 'alice',
    });
    expect(await sealed('ocr-token')).not.toBe(firstSeal);

    // SOME needs workspaces, given now or kept from before; back to ALL forgets them.
    expectError(
      await send(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'SOME' }),
      400,
      'invalid-input',
    );
    expect(await one('ocr-token')).toMatchObject({ allowed_workspaces_type: 'ALL' });
    await sendOk(h.tokens.alice, 'PATCH', {
      alias: 'ocr-token',
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['shared', 'bob', 'shared'],
    });
    expect(await one('ocr-token')).toMatchObject({
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['shared', 'bob'],
    });
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces: ['bob'] });
    expect(await one('ocr-token')).toMatchObject({
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['bob'],
    });
    expectError(
      await send(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces: [] }),
      400,
      'invalid-input',
    );
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'ALL' });
    expect(await one('ocr-token')).toMatchObject({
      allowed_workspaces_type: 'ALL',
      allowed_workspaces: [],
    });
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'NONE' });
    const none = await one('ocr-token');
    expect(none).toEqual({
      ...described,
      allowed_workspaces_type: 'NONE',
      updated_at: now,
      last_updated_by: 'alice',
    });

    // Delete takes the alias in a JSON body.
    await sendOk(h.tokens.alice, 'DELETE', { alias: 'ocr-token' });
    expect(await list(h.tokens.alice)).toEqual([]);
    expect(await h.runbox.store.secrets.get('acme', 'ocr-token')).toBeUndefined();
    expectError(
      await send(h.tokens.alice, 'DELETE', { alias: 'ocr-token' }),
      404,
      'record-not-found',
    );
    // The alias is free again.
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      value: VALUE,
      allowed_workspaces_type: 'NONE',
    });
  });

  it('refuses bad input and writes by non-admins, changing nothing', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      value: VALUE,
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['shared'],
    });
    const listBefore = await list(h.tokens.alice);
    const sealBefore = await sealed('ocr-token');
    const unchanged = async () => {
      expect(await list(h.tokens.alice)).toEqual(listBefore);
      expect(await sealed('ocr-token')).toBe(sealBefore);
    };

    // Members and service accounts may not write; another org does not see acme's secrets.
    for (const token of [h.tokens.bob, h.tokens.robot]) {
      for (const [method, payload] of [
        ['POST', { alias: 'mine', value: 'x', allowed_workspaces_type: 'ALL' }],
        ['POST', { alias: 'ocr-token', value: 'x', allowed_workspaces_type: 'ALL' }],
        ['PATCH', { alias: 'ocr-token', value: 'stolen-value' }],
        ['PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'ALL' }],
        ['DELETE', { alias: 'ocr-token' }],
      ] as const) {
        expectError(await send(token, method, payload), 403, 'permission-denied');
      }
    }
    for (const [method, payload] of [
      ['PATCH', { alias: 'ocr-token', value: 'stolen-value' }],
      ['DELETE', { alias: 'ocr-token' }],
    ] as const) {
      expectError(await send(h.tokens.eve, method, payload), 404, 'record-not-found');
    }
    await unchanged();

    const create = (payload: Record<string, unknown>) => send(h.tokens.alice, 'POST', payload);
    for (const [payload, status, type] of [
      [{ alias: 'ocr-token', value: 'x', allowed_workspaces_type: 'ALL' }, 409, 'conflict'],
      [{ alias: 'new', value: 'x', allowed_workspaces_type: 'SOME' }, 400, 'invalid-input'],
      [
        { alias: 'new', value: 'x', allowed_workspaces_type: 'SOME', allowed_workspaces: [] },
        400,
        'invalid-input',
      ],
      [
        {
          alias: 'new',
          value: 'x',
          allowed_workspaces_type: 'SOME',
          allowed_workspaces: ['no-such-workspace'],
        },
        404,
        'record-not-found',
      ],
      [{ alias: 'new', value: 'x' }, 400, 'invalid-input'],
      [{ alias: 'new', value: 'x', allowed_workspaces_type: 'MANY' }, 400, 'invalid-input'],
      [{ alias: 'new', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: 'new', value: 5, allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: '', value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: 'has space', value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: '../etc', value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [
        { alias: 'a'.repeat(129), value: 'x', allowed_workspaces_type: 'ALL' },
        400,
        'invalid-input',
      ],
      [
        { alias: 'new', value: 'x'.repeat(64 * 1024 + 1), allowed_workspaces_type: 'ALL' },
        400,
        'invalid-input',
      ],
      [
        { alias: 'new', value: 'x', allowed_workspaces_type: 'ALL', colour: 1 },
        400,
        'invalid-input',
      ],
    ] as const) {
      expectError(await create(payload), status, type);
    }
    for (const [payload, status, type] of [
      [{ alias: 'nope', value: 'x' }, 404, 'record-not-found'],
      [{ value: 'x' }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', allowed_workspaces: [] }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', allowed_workspaces: ['no-such-workspace'] }, 404, 'record-not-found'],
      [{ alias: 'ocr-token', allowed_workspaces_type: 'EVERY' }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', value: 'x'.repeat(64 * 1024 + 1) }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', colour: 1 }, 400, 'invalid-input'],
    ] as const) {
      expectError(await send(h.tokens.alice, 'PATCH', payload), status, type);
    }
    for (const [payload, status, type] of [
      [{ alias: 'nope' }, 404, 'record-not-found'],
      [{}, 400, 'invalid-input'],
      [{ alias: 'ocr-token', colour: 1 }, 400, 'invalid-input'],
    ] as const) {
      expectError(await send(h.tokens.alice, 'DELETE', payload), status, type);
    }
    expectError(await h.as(h.tokens.alice, { method: 'DELETE', url: URL }), 400, 'invalid-input');
    await unchanged();
    // The limit itself is allowed.
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'big',
      value: 'x'.repeat(64 * 1024),
      allowed_workspaces_type: 'ALL',
    });
  });

  it('lists everything for admins; members must name a workspace they may use', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    for (const [alias, type, workspaces] of [
      ['all-ws', 'ALL', undefined],
      ['some-shared', 'SOME', ['shared']],
      ['some-bob', 'SOME', ['bob']],
      ['some-alice', 'SOME', ['alice', 'shared']],
      ['none-ws', 'NONE', undefined],
    ] as const) {
      await sendOk(h.tokens.alice, 'POST', {
        alias,
        value: `${VALUE}-${alias}`,
        allowed_workspaces_type: type,
        ...(workspaces ? { allowed_workspaces: workspaces } : {}),
      });
    }
    expect(await aliases(h.tokens.alice)).toEqual([
      'all-ws',
      'none-ws',
      'some-alice',
      'some-bob',
      'some-shared',
    ]);
    expect(await aliases(h.tokens.alice, '?workspace=shared')).toEqual([
      'all-ws',
      'some-alice',
      'some-shared',
    ]);
    expect(await aliases(h.tokens.alice, '?workspace=bob')).toEqual(['all-ws', 'some-bob']);
    expect(await aliases(h.tokens.alice, '?alias=none-ws')).toEqual(['none-ws']);

    expectError(await h.as(h.tokens.bob, { method: 'GET', url: URL }), 403, 'permission-denied');
    expectError(
      await h.as(h.tokens.bob, { method: 'GET', url: `${URL}?alias=all-ws` }),
      403,
      'permission-denied',
    );
    expect(await aliases(h.tokens.bob, '?workspace=shared')).toEqual([
      'all-ws',
      'some-alice',
      'some-shared',
    ]);
    expect(await aliases(h.tokens.bob, '?workspace=bob')).toEqual(['all-ws', 'some-bob']);
    expect(await aliases(h.tokens.bob, '?workspace=shared&alias=some-shared')).toEqual([
      'some-shared',
    ]);
    expect(await aliases(h.tokens.bob, '?workspace=shared&alias=none-ws')).toEqual([]);
    expect(await aliases(h.tokens.robot, '?workspace=shared')).toEqual([
      'all-ws',
      'some-alice',
      'some-shared',
    ]);
    // Another member's personal workspace is not bob's to look into.
    expectError(
      await h.as(h.tokens.bob, { method: 'GET', url: `${URL}?workspace=alice` }),
      404,
      'record-not-found',
    );
    // Another org sees none of acme's secrets, however it asks.
    expect(await list(h.tokens.eve)).toEqual([]);
    expect(await list(h.tokens.eve, '?alias=all-ws')).toEqual([]);
    expectError(
      await h.as(h.tokens.eve, { method: 'GET', url: `${URL}?workspace=shared` }),
      404,
      'record-not-found',
    );
    const everything = await h.as(h.tokens.alice, { method: 'GET', url: URL });
    expect(everything.body).not.toContain(VALUE);
  });
});

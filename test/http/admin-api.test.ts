/**
 * The admin API and `/v2/me` on each backend: an org admin manages its own org's users,
 * service accounts, tokens and workspaces; members are refused; another org's users and tokens
 * are not found; bad input is refused with nothing changed.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectError } from '../runs/run-helpers.js';

interface Users {
  users: { id: string; kind: string; role: string; home_org: string }[];
}
const get = (h: Harness, token: string, url: string, headers: Record<string, string> = {}) =>
  h.as(token, { method: 'GET', url: `/api${url}`, headers });
const post = (h: Harness, token: string, url: string, payload: unknown) =>
  h.as(token, { method: 'POST', url: `/api${url}`, payload: payload as Record<string, unknown> });
const userIds = async (h: Harness) =>
  (await get(h, h.tokens.alice, '/v2/admin/users')).json<Users>().users.map((u) => u.id);

describeEachBackend('admin API', (backend) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(backend);
  });
  afterEach(() => h.close());

  it('/v2/me names the user, its context and every org it may act in, its own first', async () => {
    const me = await get(h, h.tokens.alice, '/v2/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      user_id: 'alice',
      kind: 'user',
      display_name: null,
      context: { org_id: 'acme', role: 'admin', personal: true },
      orgs: [{ org_id: 'acme', name: 'Acme', role: 'admin', personal: true }],
    });
    await h.runbox.admin.addMember('globex', 'alice', 'member');
    const both = await get(h, h.tokens.alice, '/v2/me', { 'ib-context': 'globex' });
    expect(both.json()).toMatchObject({
      context: { org_id: 'globex', role: 'member', personal: false },
      orgs: [
        { org_id: 'acme', personal: true },
        { org_id: 'globex', name: 'Globex', role: 'member', personal: false },
      ],
    });
    expectError(await get(h, 'rbx_nope', '/v2/me'), 401, 'token-not-valid');
    expectError(
      await get(h, h.tokens.bob, '/v2/me', { 'ib-context': 'globex' }),
      401,
      'token-not-valid',
    );
  });

  it('users and service accounts: listed and created in the org; members refused; bad input changes nothing', async () => {
    const list = (await get(h, h.tokens.alice, '/v2/admin/users')).json<Users>();
    expect(list.users.map((u) => [u.id, u.kind, u.role])).toEqual([
      ['alice', 'user', 'admin'],
      ['bob', 'user', 'member'],
      ['robot', 'service', 'member'],
    ]);
    const created = await post(h, h.tokens.alice, '/v2/admin/users', {
      id: 'ci-bot',
      kind: 'service',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'ci-bot',
      kind: 'service',
      role: 'member',
      home_org: 'acme',
    });
    const before = await userIds(h);
    expect(before).toContain('ci-bot');

    expectError(
      await post(h, h.tokens.alice, '/v2/admin/users', { id: 'ci-bot' }),
      409,
      'conflict',
    );
    expectError(
      await post(h, h.tokens.alice, '/v2/admin/users', { id: '../x' }),
      400,
      'invalid-input',
    );
    expectError(
      await post(h, h.tokens.alice, '/v2/admin/users', { id: 'x', role: 'owner' }),
      400,
      'invalid-input',
    );
    expectError(
      await post(h, h.tokens.alice, '/v2/admin/users', { id: 'x', extra: 1 }),
      400,
      'invalid-input',
    );
    expectError(
      await post(h, h.tokens.bob, '/v2/admin/users', { id: 'sneaky' }),
      403,
      'permission-denied',
    );
    expectError(await get(h, h.tokens.bob, '/v2/admin/users'), 403, 'permission-denied');
    expect(await userIds(h)).toEqual(before);
    // Another org sees only its own.
    const globex = (await get(h, h.tokens.eve, '/v2/admin/users')).json<Users>();
    expect(globex.users.map((u) => u.id)).toEqual(['eve']);
  });

  it('tokens: created with the value shown once, listed without it, revoked at once; other orgs’ tokens not found', async () => {
    const res = await post(h, h.tokens.alice, '/v2/admin/users/robot/tokens', {
      name: 'nightly',
    });
    expect(res.statusCode).toBe(201);
    const created = res.json<{ id: string; token: string; user_id: string }>();
    expect(created.user_id).toBe('robot');
    expect((await get(h, created.token, '/v2/me')).json()).toMatchObject({ user_id: 'robot' });

    const listed = await get(h, h.tokens.alice, '/v2/admin/users/robot/tokens');
    expect(listed.body).not.toContain(created.token);
    const tokens = listed.json<{
      tokens: { id: string; name: string; revoked_at_ms: unknown }[];
    }>();
    expect(tokens.tokens.find((t) => t.id === created.id)).toMatchObject({
      name: 'nightly',
      revoked_at_ms: null,
    });

    // Bad input, members, other orgs: refused, nothing changed.
    expectError(
      await post(h, h.tokens.alice, '/v2/admin/users/robot/tokens', { expires_at_ms: 1 }),
      400,
      'invalid-input',
    );
    expectError(
      await post(h, h.tokens.bob, '/v2/admin/users/robot/tokens', {}),
      403,
      'permission-denied',
    );
    expectError(
      await get(h, h.tokens.alice, '/v2/admin/users/eve/tokens'),
      404,
      'record-not-found',
    );
    expectError(
      await post(h, h.tokens.alice, '/v2/admin/users/eve/tokens', {}),
      404,
      'record-not-found',
    );
    const eveTokens = (await get(h, h.tokens.eve, '/v2/admin/users/eve/tokens')).json<{
      tokens: { id: string }[];
    }>();
    const eveToken = eveTokens.tokens[0]!.id;
    expectError(
      await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/admin/tokens/${eveToken}` }),
      404,
      'record-not-found',
    );
    expect((await get(h, h.tokens.eve, '/v2/me')).statusCode).toBe(200);
    expect(
      (await get(h, h.tokens.alice, '/v2/admin/users/robot/tokens')).json<{ tokens: unknown[] }>()
        .tokens,
    ).toHaveLength(tokens.tokens.length);

    const revoke = await h.as(h.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/admin/tokens/${created.id}`,
    });
    expect(revoke.statusCode).toBe(204);
    expectError(await get(h, created.token, '/v2/me'), 401, 'token-not-valid');
    expectError(
      await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/admin/tokens/${created.id}` }),
      404,
      'record-not-found',
    );
  });

  it('workspaces: listed, shared ones created; duplicates and bad names refused', async () => {
    const names = async () =>
      (await get(h, h.tokens.alice, '/v2/admin/workspaces'))
        .json<{ workspaces: { name: string; owner_user_id: string | null }[] }>()
        .workspaces.map((w) => `${w.name}:${w.owner_user_id ?? 'shared'}`)
        .sort();
    expect(await names()).toEqual(['alice:alice', 'bob:bob', 'shared:shared']);
    const made = await post(h, h.tokens.alice, '/v2/admin/workspaces', { name: 'Finance' });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ name: 'Finance', owner_user_id: null });
    expectError(
      await post(h, h.tokens.alice, '/v2/admin/workspaces', { name: 'Finance' }),
      409,
      'conflict',
    );
    expectError(
      await post(h, h.tokens.alice, '/v2/admin/workspaces', { name: '../up' }),
      400,
      'invalid-input',
    );
    expectError(
      await post(h, h.tokens.bob, '/v2/admin/workspaces', { name: 'Mine' }),
      403,
      'permission-denied',
    );
    expect(await names()).toEqual(['Finance:shared', 'alice:alice', 'bob:bob', 'shared:shared']);
  });
});

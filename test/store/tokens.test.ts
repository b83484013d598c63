import { beforeEach, expect, it } from 'vitest';
import type { Token } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, expectRunboxError, freshStore, seedAcme } from './store-fixture.js';

function token(id: string, userId: string, over: Partial<Token> = {}): Token {
  return {
    id,
    user_id: userId,
    name: `token ${id}`,
    token_hash: `hash-${id}`,
    created_at: T,
    expires_at: null,
    revoked_at: null,
    ...over,
  };
}

describeEachBackend('store: tokens', (backend) => {
  let store: Store;
  beforeEach(async () => {
    ({ store } = await freshStore(backend));
    await seedAcme(store);
  });

  it('finds a token, its user and the role in the context org by hash', async () => {
    await store.tokens.create(token('t1', 'alice', { expires_at: T + 86_400_000 }));
    const user = {
      id: 'alice',
      org_id: 'acme',
      kind: 'user',
      display_name: 'Alice',
      created_at: T,
    };
    const found = {
      token: token('t1', 'alice', { expires_at: T + 86_400_000 }),
      user,
      orgId: 'acme',
      role: 'admin',
    };

    // No context, or the user's own id: the home org.
    expect(await store.tokens.authenticate('hash-t1', undefined)).toEqual(found);
    expect(await store.tokens.authenticate('hash-t1', 'alice')).toEqual(found);
    expect(await store.tokens.authenticate('hash-t1', 'acme')).toEqual(found);
    // An org the user is not a member of: found, but no role there.
    expect(await store.tokens.authenticate('hash-t1', 'globex')).toEqual({
      ...found,
      orgId: 'globex',
      role: null,
    });
    expect(await store.tokens.authenticate('hash-unknown', undefined)).toBeUndefined();
    expect(await store.tokens.get('t1')).toEqual(
      token('t1', 'alice', { expires_at: T + 86_400_000 }),
    );
  });

  it("lists a user's tokens oldest first, and only theirs", async () => {
    await store.tokens.create(token('t-new', 'alice', { created_at: T + 2 }));
    await store.tokens.create(token('t-old', 'alice', { created_at: T + 1 }));
    await store.tokens.create(token('t-bob', 'bob'));

    expect((await store.tokens.listForUser('alice')).map((t) => t.id)).toEqual(['t-old', 't-new']);
    expect(await store.tokens.listForUser('nobody')).toEqual([]);
  });

  it('revokes a live token once; the revocation time stays the first one', async () => {
    await store.tokens.create(token('t1', 'alice'));

    expect(await store.tokens.revoke('t1', T + 10)).toBe(true);
    expect(await store.tokens.revoke('t1', T + 20)).toBe(false);
    expect(await store.tokens.revoke('unknown', T + 20)).toBe(false);

    expect((await store.tokens.authenticate('hash-t1', undefined))?.token.revoked_at).toBe(T + 10);
  });

  it('refuses a second token with the same hash or id as a conflict', async () => {
    await store.tokens.create(token('t1', 'alice'));

    await expectRunboxError(
      store.tokens.create(token('t2', 'bob', { token_hash: 'hash-t1' })),
      'conflict',
    );
    await expectRunboxError(
      store.tokens.create(token('t1', 'bob', { token_hash: 'hash-other' })),
      'conflict',
    );
    expect((await store.tokens.authenticate('hash-t1', undefined))?.user.id).toBe('alice');
    expect(await store.tokens.listForUser('bob')).toEqual([]);
  });
});

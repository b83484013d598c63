/**
 * Authentication results are kept in memory between requests; these suites check they are
 * given up as soon as tokens or memberships change, in the same process or through another
 * store on the same database (another API node, or a `runbox admin` command).
 */
import { expect, it } from 'vitest';
import { AuthService } from '../../src/services/auth-service.js';
import { hashToken } from '../../src/services/tokens.js';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { T, expectRunboxError, freshStore, openOn, seedAcme } from './store-fixture.js';

const clock = { now: () => T + 1_000 };
const SECRET = 'rbx_bob-laptop';

async function bobWithToken(store: Store): Promise<void> {
  await seedAcme(store);
  await store.tokens.create({
    id: 'tok-bob',
    user_id: 'bob',
    name: 'laptop',
    token_hash: hashToken(SECRET),
    created_at: T,
    expires_at: null,
    revoked_at: null,
  });
}

const bearer = `Bearer ${SECRET}`;

describeEachBackend('authentication results kept in memory', (backend) => {
  it('answers repeated requests without reading the database', async () => {
    const { store } = await freshStore(backend);
    await bobWithToken(store);
    const auth = new AuthService(store, clock);
    const first = await auth.authenticate(bearer, undefined);
    // Postgres starts listening for changes on first use; until then nothing is kept.
    await until('a kept result', async () => {
      await auth.authenticate(bearer, undefined);
      const before = store.queryCount();
      await auth.authenticate(bearer, undefined);
      return store.queryCount() === before ? true : undefined;
    });
    expect(await auth.authenticate(bearer, undefined)).toEqual(first);
    expect(first).toMatchObject({ userId: 'bob', orgId: 'acme', role: 'member' });
  });

  it('refuses a token at once once this process revokes it', async () => {
    const { store } = await freshStore(backend);
    await bobWithToken(store);
    const auth = new AuthService(store, clock);
    await auth.authenticate(bearer, undefined);
    await auth.authenticate(bearer, undefined);
    expect(await store.tokens.revoke('tok-bob', T + 2_000)).toBe(true);
    await expectRunboxError(auth.authenticate(bearer, undefined), 'token-not-valid');
  });

  it('refuses a token another node revoked, and sees a role another node changed', async () => {
    const { store: here, target } = await freshStore(backend);
    await bobWithToken(here);
    const elsewhere = openOn(target);
    const auth = new AuthService(here, clock);
    await until('a kept result', async () => {
      const before = here.queryCount();
      await auth.authenticate(bearer, undefined);
      return here.queryCount() === before ? true : undefined;
    });

    await elsewhere.users.addMembership({
      org_id: 'acme',
      user_id: 'bob',
      role: 'admin',
      created_at: T,
    });
    await until('the new role', async () =>
      (await auth.authenticate(bearer, undefined)).role === 'admin' ? true : undefined,
    );

    expect(await elsewhere.tokens.revoke('tok-bob', T + 2_000)).toBe(true);
    await until('the revocation', () =>
      auth.authenticate(bearer, undefined).then(
        () => undefined,
        (err: unknown) => err,
      ),
    ).then((err) => expect(err).toMatchObject({ type: 'token-not-valid' }));
  });

  it('keeps nothing past the token’s expiry', async () => {
    const { store } = await freshStore(backend);
    await bobWithToken(store);
    await store.tokens.create({
      id: 'tok-short',
      user_id: 'bob',
      name: 'short',
      token_hash: hashToken('rbx_short'),
      created_at: T,
      expires_at: T + 5_000,
      revoked_at: null,
    });
    let now = T + 1_000;
    const auth = new AuthService(store, { now: () => now });
    await auth.authenticate('Bearer rbx_short', undefined);
    await auth.authenticate('Bearer rbx_short', undefined);
    now = T + 5_000;
    await expectRunboxError(auth.authenticate('Bearer rbx_short', undefined), 'token-not-valid');
  });
});

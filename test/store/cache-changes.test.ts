/**
 * Authentication results and app lookups are kept in memory between requests; these suites
 * check they are given up as soon as their data changes, in the same process or through
 * another store on the same database (another API node, or a `runbox admin` command).
 */
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { LocalBlobs } from '../../src/blobs/local-blobs.js';
import { AppService } from '../../src/services/app-service.js';
import { AuthService } from '../../src/services/auth-service.js';
import type { Principal } from '../../src/services/principal.js';
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

describeEachBackend('app lookups kept in memory', (backend) => {
  const alice: Principal = {
    userId: 'alice',
    userKind: 'user',
    tokenId: 't',
    orgId: 'acme',
    role: 'admin',
    personal: true,
  };
  const version = (v: string, at: number) => ({
    app_id: 'app-1',
    version: v,
    manifest: JSON.stringify({ name: 'extract', version: v, runtime: 'node', entry: 'index.js' }),
    package_key: `apps/app-1/${v}`,
    package_size: 1,
    created_by: 'alice',
    created_at: at,
  });
  const apps = (store: Store, dir: string) =>
    new AppService(
      store,
      new LocalBlobs(join(dir, 'blobs')),
      { clock, ids: { uuid: () => 'u', randomToken: () => 'r' } },
      join(dir, 'tmp'),
    );

  it('resolves the newest version another node publishes, and forgets a deleted app', async () => {
    const { store: here, target } = await freshStore(backend);
    await seedAcme(here);
    const elsewhere = openOn(target);
    await elsewhere.apps.create({
      id: 'app-1',
      org_id: 'acme',
      name: 'extract',
      owner: 'alice',
      description: null,
      created_at: T,
      updated_at: T,
    });
    await elsewhere.apps.addVersion(version('1.0.0', T));
    const service = apps(here, target.dataDir);
    const newest = async () =>
      (await service.resolve(alice, { appName: 'extract' })).version.version;
    expect(await newest()).toBe('1.0.0');
    await until('a kept lookup', async () => {
      await newest();
      const before = here.queryCount();
      await newest();
      return here.queryCount() === before ? true : undefined;
    });

    await elsewhere.apps.addVersion(version('1.1.0', T + 1));
    await until('the new version', async () => ((await newest()) === '1.1.0' ? true : undefined));

    await elsewhere.apps.delete('app-1');
    await until('the app gone', () =>
      newest().then(
        () => undefined,
        (err: unknown) => err,
      ),
    ).then((err) => expect(err).toMatchObject({ type: 'record-not-found' }));
  });

  it('resolves a version this process publishes at once', async () => {
    const { store, target } = await freshStore(backend);
    await seedAcme(store);
    await store.apps.create({
      id: 'app-1',
      org_id: 'acme',
      name: 'extract',
      owner: 'alice',
      description: null,
      created_at: T,
      updated_at: T,
    });
    await store.apps.addVersion(version('1.0.0', T));
    const service = apps(store, target.dataDir);
    expect((await service.resolve(alice, { appName: 'extract' })).version.version).toBe('1.0.0');
    expect((await service.resolve(alice, { appName: 'extract' })).version.version).toBe('1.0.0');
    await store.apps.addVersion(version('2.0.0', T + 1));
    expect((await service.resolve(alice, { appName: 'extract' })).version.version).toBe('2.0.0');
  });
});

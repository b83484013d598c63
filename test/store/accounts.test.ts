import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, expectRunboxError, freshStore, seedAcme } from './store-fixture.js';

describeEachBackend('store: orgs, users, memberships, workspaces', (backend) => {
  let store: Store;
  beforeEach(async () => {
    ({ store } = await freshStore(backend));
  });

  it('stores orgs and lists them by id', async () => {
    await store.orgs.create({ id: 'globex', name: 'Globex', created_at: T + 1 });
    await store.orgs.create({ id: 'acme', name: 'Acme', created_at: T });

    expect(await store.orgs.get('acme')).toEqual({ id: 'acme', name: 'Acme', created_at: T });
    expect(await store.orgs.get('initech')).toBeUndefined();
    expect((await store.orgs.list()).map((o) => o.id)).toEqual(['acme', 'globex']);
    expect(await store.orgs.count()).toBe(2);
  });

  it('refuses a second org with the same id as a conflict and keeps the first', async () => {
    await store.orgs.create({ id: 'acme', name: 'Acme', created_at: T });

    await expectRunboxError(
      store.orgs.create({ id: 'acme', name: 'Impostor', created_at: T + 1 }),
      'conflict',
    );
    expect(await store.orgs.list()).toEqual([{ id: 'acme', name: 'Acme', created_at: T }]);
  });

  it('stores users and service accounts; a duplicate id is a conflict', async () => {
    await seedAcme(store);
    await store.users.create({
      id: 'robot',
      org_id: 'acme',
      kind: 'service',
      display_name: 'CI robot',
      created_at: T + 5,
    });

    expect(await store.users.get('robot')).toEqual({
      id: 'robot',
      org_id: 'acme',
      kind: 'service',
      display_name: 'CI robot',
      created_at: T + 5,
    });
    expect(await store.users.get('nobody')).toBeUndefined();
    await expectRunboxError(
      store.users.create({
        id: 'robot',
        org_id: 'acme',
        kind: 'user',
        display_name: null,
        created_at: T,
      }),
      'conflict',
    );
    expect((await store.users.get('robot'))?.kind).toBe('service');
  });

  it('refuses a user of an org that does not exist', async () => {
    await expect(
      store.users.create({
        id: 'ghost',
        org_id: 'no-such-org',
        kind: 'user',
        display_name: null,
        created_at: T,
      }),
    ).rejects.toThrow();
    expect(await store.users.get('ghost')).toBeUndefined();
  });

  it('records memberships; adding one again changes the role', async () => {
    await seedAcme(store);
    await store.orgs.create({ id: 'globex', name: 'Globex', created_at: T });
    await store.users.create({
      id: 'eve',
      org_id: 'globex',
      kind: 'user',
      display_name: 'Eve',
      created_at: T,
    });
    await store.users.addMembership({
      org_id: 'globex',
      user_id: 'eve',
      role: 'admin',
      created_at: T,
    });
    await store.users.addMembership({
      org_id: 'globex',
      user_id: 'bob',
      role: 'member',
      created_at: T,
    });

    // Promote bob in acme: an upsert, not a second row and not a conflict.
    await store.users.addMembership({
      org_id: 'acme',
      user_id: 'bob',
      role: 'admin',
      created_at: T + 9,
    });

    expect((await store.users.listInOrg('globex')).map((u) => [u.id, u.role])).toContainEqual([
      'bob',
      'member',
    ]);
    const acme = await store.users.listInOrg('acme');
    expect(acme.map((u) => [u.id, u.role])).toEqual([
      ['alice', 'admin'],
      ['bob', 'admin'],
    ]);
    expect(acme[0]).toEqual({
      id: 'alice',
      org_id: 'acme',
      kind: 'user',
      display_name: 'Alice',
      created_at: T,
      role: 'admin',
    });
    expect((await store.users.listInOrg('globex')).map((u) => u.id)).toEqual(['bob', 'eve']);
  });

  it('stores workspaces per org, listed by name', async () => {
    await seedAcme(store);
    await store.workspaces.create({
      id: 'ws-alice',
      org_id: 'acme',
      name: 'alice',
      owner_user_id: 'alice',
      created_at: T + 1,
    });

    expect(await store.workspaces.get('ws-alice')).toEqual({
      id: 'ws-alice',
      org_id: 'acme',
      name: 'alice',
      owner_user_id: 'alice',
      created_at: T + 1,
    });
    expect(await store.workspaces.byName('acme', 'shared')).toMatchObject({
      id: 'ws-shared',
      owner_user_id: null,
    });
    expect(await store.workspaces.byName('acme', 'nope')).toBeUndefined();
    expect((await store.workspaces.list('acme')).map((w) => w.name)).toEqual(['alice', 'shared']);
    expect(await store.workspaces.list('globex')).toEqual([]);
  });

  it('refuses a duplicate workspace name in one org, allows it in another', async () => {
    await seedAcme(store);
    await store.orgs.create({ id: 'globex', name: 'Globex', created_at: T });

    await expectRunboxError(
      store.workspaces.create({
        id: 'ws-other',
        org_id: 'acme',
        name: 'shared',
        owner_user_id: null,
        created_at: T,
      }),
      'conflict',
    );
    expect(await store.workspaces.get('ws-other')).toBeUndefined();

    await store.workspaces.create({
      id: 'ws-globex-shared',
      org_id: 'globex',
      name: 'shared',
      owner_user_id: null,
      created_at: T,
    });
    expect(await store.workspaces.byName('globex', 'shared')).toMatchObject({
      id: 'ws-globex-shared',
    });
  });
});

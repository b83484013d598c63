import { beforeEach, expect, it } from 'vitest';
import { RunboxError } from '../../src/contract/errors.js';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, expectRunboxError, freshStore, newJob, seedAcme } from './store-fixture.js';

describeEachBackend('store transactions', (backend) => {
  let store: Store;
  beforeEach(async () => {
    ({ store } = await freshStore(backend));
  });

  it('commits every write together and returns the callback value', async () => {
    const batchId = await store.transaction(async (tx) => {
      await seedAcme(tx);
      const id = await tx.batches.create({
        org_id: 'acme',
        workspace_id: 'ws-shared',
        name: 'b',
        created_by: 'alice',
        created_at: T,
      });
      // Reads inside the transaction see its own writes.
      expect(await tx.batches.get('acme', id)).toBeDefined();
      return id;
    });

    expect(await store.orgs.get('acme')).toBeDefined();
    expect(await store.batches.get('acme', batchId)).toMatchObject({ name: 'b' });
  });

  it('rolls back every write when the callback throws, and rethrows the error', async () => {
    const boom = new Error('boom');
    let batchId = 0;

    const err = await store
      .transaction(async (tx) => {
        await seedAcme(tx);
        batchId = await tx.batches.create({
          org_id: 'acme',
          workspace_id: 'ws-shared',
          name: 'b',
          created_by: 'alice',
          created_at: T,
        });
        await tx.batches.putFile({
          batch_id: batchId,
          name: 'a.txt',
          blob_key: 'k',
          size: 1,
          updated_at: T,
        });
        await tx.jobs.enqueue(newJob('job-1'));
        throw boom;
      })
      .catch((e: unknown) => e);

    expect(err).toBe(boom);
    expect(await store.orgs.count()).toBe(0);
    expect(await store.users.get('alice')).toBeUndefined();
    expect(await store.workspaces.get('ws-shared')).toBeUndefined();
    expect(await store.batches.getFile(batchId, 'a.txt')).toBeUndefined();
    expect(await store.jobs.get('job-1')).toBeUndefined();
    expect(await store.jobs.countByState()).toEqual({});
  });

  it('rolls back earlier writes when a later one conflicts', async () => {
    await seedAcme(store);

    await expectRunboxError(
      store.transaction(async (tx) => {
        await tx.orgs.create({ id: 'globex', name: 'Globex', created_at: T });
        await tx.orgs.create({ id: 'acme', name: 'Duplicate', created_at: T });
      }),
      'conflict',
    );

    expect((await store.orgs.list()).map((o) => o.id)).toEqual(['acme']);
  });

  it('stays usable after a rollback', async () => {
    await store
      .transaction(async () => {
        throw new RunboxError('invalid-input', 'no');
      })
      .catch(() => undefined);

    await store.transaction(async (tx) => {
      await tx.orgs.create({ id: 'acme', name: 'Acme', created_at: T });
    });
    await store.orgs.create({ id: 'globex', name: 'Globex', created_at: T });
    expect(await store.orgs.count()).toBe(2);
  });
});

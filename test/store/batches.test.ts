import { beforeEach, expect, it } from 'vitest';
import type { NewBatch } from '../../src/store/repos/batch-repo.js';
import type { BatchFile } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, freshStore, seedAcme } from './store-fixture.js';

function batch(name: string, over: Partial<NewBatch> = {}): NewBatch {
  return {
    org_id: 'acme',
    workspace_id: 'ws-shared',
    name,
    created_by: 'alice',
    created_at: T,
    ...over,
  };
}

function file(batchId: number, name: string, over: Partial<BatchFile> = {}): BatchFile {
  return { batch_id: batchId, name, blob_key: `blobs/${name}`, size: 10, updated_at: T, ...over };
}

describeEachBackend('store: batches and batch files', (backend) => {
  let store: Store;
  beforeEach(async () => {
    ({ store } = await freshStore(backend));
    await seedAcme(store);
    await store.orgs.create({ id: 'globex', name: 'Globex', created_at: T });
    await store.workspaces.create({
      id: 'ws-bob',
      org_id: 'acme',
      name: 'bob',
      owner_user_id: 'bob',
      created_at: T,
    });
  });

  it('numbers batches with increasing integers and reads them back in their org only', async () => {
    const first = await store.batches.create(batch('first'));
    const second = await store.batches.create(batch('second', { created_at: T + 1 }));

    expect(typeof first).toBe('number');
    expect(second).toBeGreaterThan(first);
    expect(await store.batches.get('acme', first)).toEqual({
      id: first,
      org_id: 'acme',
      workspace_id: 'ws-shared',
      name: 'first',
      created_by: 'alice',
      created_at: T,
      updated_at: T,
      deleted_at: null,
    });
    expect(await store.batches.get('globex', first)).toBeUndefined();
    expect(await store.batches.get('acme', second + 100)).toBeUndefined();
  });

  it('lists batches newest first, within the given workspaces, by creator, in pages', async () => {
    const a = await store.batches.create(batch('a'));
    const b = await store.batches.create(batch('b', { workspace_id: 'ws-bob', created_by: 'bob' }));
    const c = await store.batches.create(batch('c', { created_by: 'bob' }));
    const d = await store.batches.create(batch('d'));
    const ids = (list: { id: number }[]) => list.map((x) => x.id);
    const all = { orgId: 'acme', workspaceIds: ['ws-shared', 'ws-bob'], limit: 10, offset: 0 };

    expect(ids(await store.batches.list(all))).toEqual([d, c, b, a]);
    expect(ids(await store.batches.list({ ...all, workspaceIds: ['ws-shared'] }))).toEqual([
      d,
      c,
      a,
    ]);
    expect(ids(await store.batches.list({ ...all, createdBy: 'bob' }))).toEqual([c, b]);
    expect(ids(await store.batches.list({ ...all, limit: 3 }))).toEqual([d, c, b]);
    expect(ids(await store.batches.list({ ...all, limit: 3, offset: 3 }))).toEqual([a]);
    expect(await store.batches.list({ ...all, workspaceIds: [] })).toEqual([]);
    expect(await store.batches.list({ ...all, orgId: 'globex' })).toEqual([]);
  });

  it('hides a batch marked deleted, once', async () => {
    const id = await store.batches.create(batch('doomed'));
    const keep = await store.batches.create(batch('kept'));

    expect(await store.batches.markDeleted(id, T + 5)).toBe(true);
    expect(await store.batches.markDeleted(id, T + 6)).toBe(false);

    expect(await store.batches.get('acme', id)).toBeUndefined();
    const listed = await store.batches.list({
      orgId: 'acme',
      workspaceIds: ['ws-shared'],
      limit: 10,
      offset: 0,
    });
    expect(listed.map((x) => x.id)).toEqual([keep]);
  });

  it('purging a batch removes it with its files', async () => {
    const id = await store.batches.create(batch('doomed'));
    const other = await store.batches.create(batch('other'));
    await store.batches.putFile(file(id, 'a.txt'));
    await store.batches.putFile(file(other, 'a.txt'));

    await store.batches.purge(id);

    expect(await store.batches.getFile(id, 'a.txt')).toBeUndefined();
    expect(await store.batches.listFiles(id, undefined, 10)).toEqual([]);
    expect(await store.batches.getFile(other, 'a.txt')).toEqual(file(other, 'a.txt'));
    expect(await store.batches.get('acme', other)).toBeDefined();
  });

  it('touch moves updated_at and nothing else', async () => {
    const id = await store.batches.create(batch('b'));
    await store.batches.touch(id, T + 42);
    expect(await store.batches.get('acme', id)).toMatchObject({
      created_at: T,
      updated_at: T + 42,
    });
  });

  it('putFile adds a file, and on a second upload returns the blob key it replaced', async () => {
    const id = await store.batches.create(batch('b'));

    expect(await store.batches.putFile(file(id, 'a.txt', { blob_key: 'k1' }))).toBeUndefined();
    expect(
      await store.batches.putFile(
        file(id, 'a.txt', { blob_key: 'k2', size: 99, updated_at: T + 7 }),
      ),
    ).toBe('k1');

    expect(await store.batches.getFile(id, 'a.txt')).toEqual(
      file(id, 'a.txt', { blob_key: 'k2', size: 99, updated_at: T + 7 }),
    );
    expect(await store.batches.listFiles(id, undefined, 10)).toHaveLength(1);
  });

  it('keeps files of the same name in different batches apart', async () => {
    const one = await store.batches.create(batch('one'));
    const two = await store.batches.create(batch('two'));

    await store.batches.putFile(file(one, 'a.txt', { blob_key: 'k-one' }));
    expect(await store.batches.putFile(file(two, 'a.txt', { blob_key: 'k-two' }))).toBeUndefined();

    expect((await store.batches.getFile(one, 'a.txt'))?.blob_key).toBe('k-one');
    expect((await store.batches.getFile(two, 'a.txt'))?.blob_key).toBe('k-two');
  });

  it('refuses a file for a batch that does not exist', async () => {
    await expect(store.batches.putFile(file(4242, 'a.txt'))).rejects.toThrow();
    expect(await store.batches.getFile(4242, 'a.txt')).toBeUndefined();
  });

  it('pages through files by name with a keyset, each file exactly once', async () => {
    const id = await store.batches.create(batch('many'));
    const other = await store.batches.create(batch('other'));
    // Mixed case, digits, punctuation and non-ASCII: the page boundaries must not lose or repeat any.
    const names = [
      'b.txt',
      'B.txt',
      'a b.pdf',
      'a-b.pdf',
      'ab.pdf',
      '10.txt',
      '9.txt',
      'é.txt',
      '_x',
    ];
    for (const name of names) await store.batches.putFile(file(id, name));
    await store.batches.putFile(file(other, 'zzz-other-batch.txt'));

    const whole = (await store.batches.listFiles(id, undefined, 100)).map((f) => f.name);
    expect([...whole].sort()).toEqual([...names].sort());

    const paged: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await store.batches.listFiles(id, after, 4);
      expect(rows.length).toBeLessThanOrEqual(4);
      if (rows.length === 0) break;
      paged.push(...rows.map((r) => r.name));
      after = rows.at(-1)?.name;
    }
    expect(paged).toEqual(whole);
    expect(await store.batches.listFiles(id, whole.at(-1), 4)).toEqual([]);
  });

  it('deleteFile returns the removed row once; the file is gone from listings', async () => {
    const id = await store.batches.create(batch('b'));
    await store.batches.putFile(file(id, 'a.txt', { blob_key: 'ka' }));
    await store.batches.putFile(file(id, 'b.txt', { blob_key: 'kb' }));

    expect(await store.batches.deleteFile(id, 'a.txt')).toEqual(
      file(id, 'a.txt', { blob_key: 'ka' }),
    );
    expect(await store.batches.deleteFile(id, 'a.txt')).toBeUndefined();
    expect(await store.batches.deleteFile(id, 'never.txt')).toBeUndefined();

    expect(await store.batches.getFile(id, 'a.txt')).toBeUndefined();
    expect((await store.batches.listFiles(id, undefined, 10)).map((f) => f.name)).toEqual([
      'b.txt',
    ]);
  });
});

import { beforeEach, expect, it } from 'vitest';
import type { UploadPart, UploadSession } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, expectRunboxError, freshStore, seedAcme } from './store-fixture.js';

describeEachBackend('store: upload sessions and parts', (backend) => {
  let store: Store;
  let batchId: number;

  function session(id: string, over: Partial<UploadSession> = {}): UploadSession {
    return {
      id,
      org_id: 'acme',
      batch_id: batchId,
      filename: 'big.bin',
      file_size: 25_000_000,
      part_size: 10_000_000,
      blob_key: `batches/${batchId}/${id}`,
      blob_upload_id: `upload-${id}`,
      state: 'open',
      created_by: 'alice',
      created_at: T,
      updated_at: T,
      ...over,
    };
  }

  function part(sessionId: string, partNum: number, over: Partial<UploadPart> = {}): UploadPart {
    return {
      session_id: sessionId,
      part_num: partNum,
      part_id: `${partNum}-etag`,
      size: 10_000_000,
      created_at: T,
      ...over,
    };
  }

  beforeEach(async () => {
    ({ store } = await freshStore(backend));
    await seedAcme(store);
    await store.orgs.create({ id: 'globex', name: 'Globex', created_at: T });
    batchId = await store.batches.create({
      org_id: 'acme',
      workspace_id: 'ws-shared',
      name: 'uploads',
      created_by: 'alice',
      created_at: T,
    });
  });

  it('stores a session, visible in its org only', async () => {
    await store.uploads.create(session('s1'));

    expect(await store.uploads.get('acme', 's1')).toEqual(session('s1'));
    expect(await store.uploads.get('globex', 's1')).toBeUndefined();
    expect(await store.uploads.get('acme', 'nope')).toBeUndefined();
  });

  it('refuses a second session with the same id as a conflict', async () => {
    await store.uploads.create(session('s1'));
    await expectRunboxError(store.uploads.create(session('s1', { filename: 'x' })), 'conflict');
    expect((await store.uploads.get('acme', 's1'))?.filename).toBe('big.bin');
  });

  it('closes a session only while it is open', async () => {
    await store.uploads.create(session('committed'));
    await store.uploads.create(session('aborted'));

    expect(await store.uploads.close('committed', 'committed', T + 1)).toBe(true);
    expect(await store.uploads.close('committed', 'aborted', T + 2)).toBe(false);
    expect(await store.uploads.close('aborted', 'aborted', T + 3)).toBe(true);
    expect(await store.uploads.close('aborted', 'committed', T + 4)).toBe(false);
    expect(await store.uploads.close('unknown', 'committed', T + 5)).toBe(false);

    expect(await store.uploads.get('acme', 'committed')).toMatchObject({
      state: 'committed',
      updated_at: T + 1,
    });
    expect(await store.uploads.get('acme', 'aborted')).toMatchObject({
      state: 'aborted',
      updated_at: T + 3,
    });
  });

  it('lists only the open sessions of a batch', async () => {
    const otherBatch = await store.batches.create({
      org_id: 'acme',
      workspace_id: 'ws-shared',
      name: 'other',
      created_by: 'alice',
      created_at: T,
    });
    await store.uploads.create(session('open-1'));
    await store.uploads.create(session('open-2'));
    await store.uploads.create(session('done'));
    await store.uploads.create(session('elsewhere', { batch_id: otherBatch }));
    await store.uploads.close('done', 'committed', T + 1);

    const open = await store.uploads.openForBatch(batchId);
    expect(open.map((s) => s.id).sort()).toEqual(['open-1', 'open-2']);
    expect(await store.uploads.openForBatch(otherBatch + 1)).toEqual([]);
  });

  it('keeps parts in part order; a part uploaded again replaces the earlier one', async () => {
    await store.uploads.create(session('s1'));
    await store.uploads.create(session('s2'));
    await store.uploads.putPart(part('s1', 3, { size: 5_000_000 }));
    await store.uploads.putPart(part('s1', 1));
    await store.uploads.putPart(part('s1', 2));
    await store.uploads.putPart(part('s2', 1, { part_id: 'other-session' }));

    await store.uploads.putPart(part('s1', 2, { part_id: '2-retried', created_at: T + 9 }));

    expect(await store.uploads.parts('s1')).toEqual([
      part('s1', 1),
      part('s1', 2, { part_id: '2-retried', created_at: T + 9 }),
      part('s1', 3, { size: 5_000_000 }),
    ]);
    expect(await store.uploads.part('s1', 2)).toMatchObject({ part_id: '2-retried' });
    expect(await store.uploads.part('s1', 9)).toBeUndefined();
    expect(await store.uploads.parts('none')).toEqual([]);
  });

  it('purging the batch removes its sessions and their parts', async () => {
    await store.uploads.create(session('s1'));
    await store.uploads.putPart(part('s1', 1));

    await store.batches.purge(batchId);

    expect(await store.uploads.get('acme', 's1')).toBeUndefined();
    expect(await store.uploads.parts('s1')).toEqual([]);
  });
});

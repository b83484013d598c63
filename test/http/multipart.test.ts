import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';
import {
  acmeState,
  batchObjects,
  createBatch,
  expectError,
  listBatchFiles,
  multipartClient,
  storageFiles,
  storedBatchFile,
  UPLOAD,
} from './http-helpers.js';

const PART = 1024;
const ENV = { RUNBOX_PART_BYTES: String(PART), RUNBOX_MAX_FILE_BYTES: '10000' };

describeEachBackend('v2 multipart upload', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const { open, start, part, finish, sendAll } = multipartClient(() => h, PART);

  it('uploads a file in parts and commits it into the batch with exactly the bytes sent', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const data = randomBytes(PART * 2 + 300);

    const created = await open(h.tokens.alice, {
      batch_id: id,
      filename: 'big scan.pdf',
      file_size: data.length,
    });
    expect(created.statusCode).toBe(201);
    const session = created.json<{ session_id: string; part_size: number }>();
    expect(session).toEqual({ session_id: expect.any(String) as string, part_size: PART });
    expect(created.headers.location).toBe(`${UPLOAD}/sessions/${session.session_id}`);

    const parts = await sendAll(session.session_id, data);
    expect(parts.map((p) => p.part_num)).toEqual([1, 2, 3]);
    expect(parts.every((p) => typeof p.part_id === 'string' && p.part_id !== '')).toBe(true);
    // Nothing is in the batch until the commit.
    expect(await listBatchFiles(h, h.tokens.alice, id)).toEqual([]);

    const commit = await finish(session.session_id, { action: 'commit', parts });
    expect(commit.statusCode, commit.payload).toBe(201);
    const files = await listBatchFiles(h, h.tokens.alice, id);
    expect(files.map((f) => [f.name, f.metadata.size])).toEqual([['big scan.pdf', data.length]]);
    expect((await storedBatchFile(h, id, 'big scan.pdf'))?.bytes.equals(data)).toBe(true);
    // The parts are cleaned up once assembled.
    expect(storageFiles(h, 'multipart')).toEqual([]);
    expect(batchObjects(h, id)).toHaveLength(1);
  });

  it('accepts file_size as a string of digits and a file of exactly one part', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const data = randomBytes(PART);
    const sid = await start(id, 'one.bin', String(data.length));
    const parts = await sendAll(sid, data);
    expect(parts).toHaveLength(1);
    expect((await finish(sid, { action: 'commit', parts })).statusCode).toBe(201);
    expect((await storedBatchFile(h, id, 'one.bin'))?.bytes.equals(data)).toBe(true);
  });

  it('uploads an empty file as one empty part', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const sid = await start(id, 'empty.txt', 0);
    const parts = await sendAll(sid, Buffer.alloc(0));
    expect(parts).toHaveLength(1);
    expect((await finish(sid, { action: 'commit', parts })).statusCode).toBe(201);
    expect((await storedBatchFile(h, id, 'empty.txt'))?.bytes.length).toBe(0);
  });

  it('replaces an existing batch file of the same name on commit', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const sid1 = await start(id, 'f.bin', 10);
    await finish(sid1, { action: 'commit', parts: await sendAll(sid1, Buffer.from('0123456789')) });
    const old = await storedBatchFile(h, id, 'f.bin');
    const sid2 = await start(id, 'f.bin', 3);
    await finish(sid2, { action: 'commit', parts: await sendAll(sid2, Buffer.from('abc')) });
    expect((await storedBatchFile(h, id, 'f.bin'))?.bytes.toString()).toBe('abc');
    expect(await h.runbox.blobs.stat(old!.key)).toBeUndefined();
    expect(batchObjects(h, id)).toHaveLength(1);
  });

  it('aborts with 201 and adds nothing', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const before = await acmeState(h);
    const sid = await start(id, 'a.bin', PART + 10);
    expect((await part(sid, 1, randomBytes(PART))).statusCode).toBe(201);
    const abort = await finish(sid, { action: 'abort' });
    expect(abort.statusCode).toBe(201);
    expect(await acmeState(h)).toEqual(before);
    // The session is closed: no more parts, no commit; aborting again is harmless.
    expectError(await part(sid, 2, randomBytes(10)), 409, 'conflict');
    expectError(await finish(sid, { action: 'commit', parts: [] }), 409, 'conflict');
    expect((await finish(sid, { action: 'abort' })).statusCode).toBe(201);
    expect(await acmeState(h)).toEqual(before);
  });

  it('answers 409 to an abort, a part or a second commit after the commit', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const data = randomBytes(PART + 1);
    const sid = await start(id, 'a.bin', data.length);
    const parts = await sendAll(sid, data);
    expect((await finish(sid, { action: 'commit', parts })).statusCode).toBe(201);
    const before = await acmeState(h);
    expectError(await finish(sid, { action: 'abort' }), 409, 'conflict');
    expectError(await part(sid, 1, randomBytes(PART)), 409, 'conflict');
    expectError(await part(sid, 2, randomBytes(1)), 409, 'conflict');
    expectError(await finish(sid, { action: 'commit', parts }), 409, 'conflict');
    expect(await acmeState(h)).toEqual(before);
    expect((await storedBatchFile(h, id, 'a.bin'))?.bytes.equals(data)).toBe(true);
  });

  it('drops open uploads when their batch is deleted', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const sid = await start(id, 'a.bin', PART * 2);
    expect((await part(sid, 1, randomBytes(PART))).statusCode).toBe(201);
    expect(storageFiles(h, 'multipart')).toHaveLength(1);
    const del = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${id}` });
    expect((await waitForJob(h, h.tokens.alice, del.json<{ job_id: string }>().job_id)).state).toBe(
      'COMPLETE',
    );
    expect(storageFiles(h, 'multipart')).toEqual([]);
    expectError(await part(sid, 2, randomBytes(PART)), 404, 'record-not-found');
  });
});

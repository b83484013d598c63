/**
 * Requests that race each other on the same file: whatever the interleaving, the user ends up
 * with one whole version of the file and storage holds exactly that one object.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  batchObjects,
  createBatch,
  drive,
  listBatchFiles,
  multipartClient,
  OCTET,
  putBatchFile,
  storageFiles,
  storedBatchFile,
} from './http-helpers.js';

const PART = 64 * 1024;
const ENV = { RUNBOX_PART_BYTES: String(PART) };

describeEachBackend('concurrent uploads', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { start, finish, sendAll } = multipartClient(() => h, PART);

  it('keeps the committed file when the same commit is sent several times at once', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const data = randomBytes(PART * 16 + 7);
    const sid = await start(id, 'big.bin', data.length);
    const parts = await sendAll(sid, data);

    const results = await Promise.all(
      [1, 2, 3].map(() => finish(sid, { action: 'commit', parts })),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) {
      expect(r.json<{ type: string }>().type).toBe('conflict');
    }
    expect((await storedBatchFile(h, id, 'big.bin'))?.bytes.equals(data)).toBe(true);
    expect(batchObjects(h, id)).toHaveLength(1);
    expect(storageFiles(h, 'multipart')).toEqual([]);
    const files = await listBatchFiles(h, h.tokens.alice, id);
    expect(files.map((f) => [f.name, f.metadata.size])).toEqual([['big.bin', data.length]]);
  });

  it('lets exactly one of a racing commit and abort win, consistently', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const data = randomBytes(PART * 8);
    const sid = await start(id, 'raced.bin', data.length);
    const parts = await sendAll(sid, data);

    const [commit, abort] = await Promise.all([
      finish(sid, { action: 'commit', parts }),
      finish(sid, { action: 'abort' }),
    ]);
    expect([commit.statusCode, abort.statusCode].sort()).toEqual([201, 409]);
    const stored = await storedBatchFile(h, id, 'raced.bin');
    if (commit.statusCode === 201) {
      expect(stored?.bytes.equals(data)).toBe(true);
      expect(batchObjects(h, id)).toHaveLength(1);
    } else {
      expect(stored).toBeUndefined();
      expect(batchObjects(h, id)).toEqual([]);
    }
    expect(storageFiles(h, 'multipart')).toEqual([]);
  });

  it('leaves one whole version and one object after simultaneous overwrites', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const versions = Array.from({ length: 8 }, (_, i) => `version ${i} `.repeat(100));
    const results = await Promise.all(
      versions.map((v) => putBatchFile(h, h.tokens.alice, id, 'same.txt', v)),
    );
    expect(results.map((r) => r.statusCode)).toEqual(versions.map(() => 204));
    const stored = await storedBatchFile(h, id, 'same.txt');
    expect(versions).toContain(stored?.bytes.toString());
    expect(batchObjects(h, id)).toHaveLength(1);
    expect(await listBatchFiles(h, h.tokens.alice, id)).toHaveLength(1);
  });

  it('lets only one of several simultaneous If-None-Match: * creates succeed', async () => {
    h = await startHarness(backend);
    const url = `/api/v2/files/${drive('alice')}/once.txt`;
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        h.as(h.tokens.alice, {
          method: 'PUT',
          url,
          payload: Buffer.from(`writer ${i}`),
          headers: { ...OCTET, 'if-none-match': '*' },
        }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect([...statuses].sort()).toEqual([201, 412, 412, 412, 412]);
    const winner = statuses.indexOf(201);
    const read = await h.as(h.tokens.alice, { method: 'GET', url: `${url}?expect-node-type=file` });
    expect(read.payload).toBe(`writer ${winner}`);
  });
});

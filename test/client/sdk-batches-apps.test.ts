/**
 * The SDK against a real Runbox on each backend, over real sockets: batches (every upload
 * source, pagination, the multipart upload of a large file, deletions) and apps.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MULTIPART_THRESHOLD, RunboxError } from '../../client/src/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { storageFiles, storedBatchFile } from '../http/http-helpers.js';
import { packDir } from '../runs/run-helpers.js';
import { discardTestApp, nodeApp } from '../runs/test-apps.js';
import { bytes, chunked, client, collect, recordingFetch } from './sdk-helpers.js';
import { PART, BIG, enc, rejection, runboxError, publishProbe } from './sdk-fixtures.js';

describeEachBackend('SDK: batches and apps', (backend) => {
  let h: Harness;
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'runbox-sdk-'));
  });
  afterEach(async () => {
    // Every call has finished by now. Node's graceful close waits for sockets the client
    // opened but never used (undici opens one after an aborted stream), until the client
    // drops them: end them at once.
    h?.runbox.app.server.closeAllConnections();
    await h?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('batches: create, get, list, files across pages, uploads of every source kind, deletions', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);

    const { id } = await runbox.batches.create({ name: 'invoices' });
    expect(id).toEqual(expect.any(Number));
    const info = await runbox.batches.get(id);
    expect(info).toMatchObject({ id, name: 'invoices', workspace: 'alice', batch_owner: 'alice' });
    const other = await runbox.batches.create({ name: 'shared one', workspace: 'shared' });
    expect((await runbox.batches.list()).batches.map((b) => b.id).sort()).toEqual(
      [id, other.id].sort(),
    );
    expect((await runbox.batches.list({ workspace: 'shared' })).batches.map((b) => b.id)).toEqual([
      other.id,
    ]);
    expect((await runbox.batches.list({ limit: 1 })).batches).toHaveLength(1);

    // One file from each kind of source, with names that need encoding.
    const path = join(tmp, 'from disk.txt');
    writeFileSync(path, 'bytes from a file on disk');
    const progress: [number, number][] = [];
    await runbox.batches.addFile(id, 'a path.txt', path, {
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(progress).toEqual([[25, 25]]);
    await runbox.batches.addFile(id, 'b buffer #1?.bin', Buffer.from('a node buffer'));
    await runbox.batches.addFile(id, 'c array-buffer.bin', enc('an array buffer').buffer);
    await runbox.batches.addFile(id, 'd blob.txt', new Blob(['a blob', ' in two parts']));
    const web = new Blob(['a web readable stream']).stream();
    await runbox.batches.addFile(id, 'e web-stream.txt', { stream: web, size: 21 });
    await runbox.batches.addFile(id, 'f iterable.txt', {
      stream: chunked(enc('an async iterable in small chunks'), 5),
      size: 33,
    });
    // The same name again replaces the file.
    await runbox.batches.addFile(id, 'd blob.txt', new Blob(['a blob, replaced']));

    const expected: Record<string, string> = {
      'a path.txt': 'bytes from a file on disk',
      'b buffer #1?.bin': 'a node buffer',
      'c array-buffer.bin': 'an array buffer',
      'd blob.txt': 'a blob, replaced',
      'e web-stream.txt': 'a web readable stream',
      'f iterable.txt': 'an async iterable in small chunks',
    };
    for (const [name, content] of Object.entries(expected)) {
      expect((await storedBatchFile(h, id, name))?.bytes.toString(), name).toBe(content);
    }

    // A page at a time, then every file through the iterator (pages of 4: two requests).
    const page1 = await runbox.batches.listFiles(id, { page_size: 4 });
    expect(page1.nodes).toHaveLength(4);
    expect(page1.has_more).toBe(true);
    const page2 = await runbox.batches.listFiles(id, {
      page_size: 4,
      start_token: page1.next_page_token,
    });
    expect(page2.has_more).toBe(false);
    const recorder = recordingFetch();
    const recorded = await client(h, h.tokens.alice, { fetch: recorder.fetch });
    const all = await collect(recorded.batches.files(id, 4));
    expect(recorder.sent.filter((s) => s.path.includes('/files?'))).toHaveLength(2);
    expect(all.map((f) => f.name)).toEqual([...page1.nodes, ...page2.nodes].map((f) => f.name));
    expect(Object.fromEntries(all.map((f) => [f.name, f.metadata.size]))).toEqual(
      Object.fromEntries(Object.entries(expected).map(([n, c]) => [n, enc(c).length])),
    );
    // Pages of 1: every file once, in order.
    expect((await collect(runbox.batches.files(id, 1))).map((f) => f.name)).toEqual(
      all.map((f) => f.name),
    );

    // deleteFile removes it from the listing at once.
    await runbox.batches.deleteFile(id, 'b buffer #1?.bin');
    expect((await collect(runbox.batches.files(id))).map((f) => f.name)).not.toContain(
      'b buffer #1?.bin',
    );
    await runboxError(runbox.batches.deleteFile(id, 'b buffer #1?.bin'), 404, 'record-not-found');

    // Deleting the batch is a job; waited for, it is COMPLETE and the batch is gone.
    const { job_id } = await runbox.batches.delete(id);
    expect(['PENDING', 'RUNNING', 'COMPLETE']).toContain((await runbox.jobs.status(job_id)).state);
    expect(await runbox.jobs.wait(job_id, { pollMs: 20 })).toMatchObject({ state: 'COMPLETE' });
    await runboxError(runbox.batches.get(id), 404, 'record-not-found');
    expect(storageFiles(h, `objects/batches/${id}`)).toEqual([]);
  });

  it('batches: a file over 10 MB goes through the multipart upload in parts, from a path, a Blob and a stream', async () => {
    h = await startHarness(backend, { RUNBOX_PART_BYTES: String(PART) });
    const recorder = recordingFetch();
    const runbox = await client(h, h.tokens.alice, { fetch: recorder.fetch });
    const { id } = await runbox.batches.create({ name: 'scans' });
    expect(BIG).toBeGreaterThan(MULTIPART_THRESHOLD);
    const data = bytes(BIG, 7);
    const path = join(tmp, 'big.bin');
    writeFileSync(path, data);

    const sources = {
      'from path.bin': () => path,
      'from blob.bin': () => new Blob([data]),
      'from stream.bin': () => ({ stream: chunked(data), size: BIG }),
      'from web stream.bin': () => ({ stream: new Blob([data]).stream(), size: BIG }),
    };
    for (const [name, source] of Object.entries(sources)) {
      recorder.sent.length = 0;
      const progress: [number, number][] = [];
      await runbox.batches.addFile(id, name, source(), {
        onProgress: (sent, total) => progress.push([sent, total]),
      });
      expect(progress, name).toEqual([
        [PART, BIG],
        [2 * PART, BIG],
        [BIG, BIG],
      ]);
      // Open, three parts in order, commit: nothing sent whole.
      expect(
        recorder.sent.map((s) => `${s.method} ${s.path.replace(/sessions\/[^/]+/, 'sessions/S')}`),
        name,
      ).toEqual([
        'POST /api/v2/batches/multipart-upload',
        'PUT /api/v2/batches/multipart-upload/sessions/S/parts/1',
        'PUT /api/v2/batches/multipart-upload/sessions/S/parts/2',
        'PUT /api/v2/batches/multipart-upload/sessions/S/parts/3',
        'POST /api/v2/batches/multipart-upload/sessions/S',
      ]);
      const stored = await storedBatchFile(h, id, name);
      expect(stored?.bytes.length, name).toBe(BIG);
      expect(stored?.bytes.equals(data), name).toBe(true);
    }
    const listed = await collect(runbox.batches.files(id));
    expect(listed.map((f) => [f.name, f.metadata.size])).toEqual(
      Object.keys(sources)
        .sort()
        .map((n) => [n, BIG]),
    );
    // Every session's parts were assembled and cleaned up.
    expect(storageFiles(h, 'multipart')).toEqual([]);

    // At the threshold exactly, one PUT of the whole file.
    recorder.sent.length = 0;
    await runbox.batches.addFile(id, 'exactly 10 MB.bin', bytes(MULTIPART_THRESHOLD, 3));
    expect(recorder.sent.map((s) => s.method + ' ' + s.path)).toEqual([
      `PUT /api/v2/batches/${id}/files/exactly%2010%20MB.bin`,
    ]);
    expect((await storedBatchFile(h, id, 'exactly 10 MB.bin'))?.bytes.length).toBe(
      MULTIPART_THRESHOLD,
    );
  });

  it('batches: a multipart upload that fails or is aborted part-way is aborted on the server, storing nothing', async () => {
    h = await startHarness(backend, { RUNBOX_PART_BYTES: String(PART) });
    const runbox = await client(h);
    const { id } = await runbox.batches.create({ name: 'scans' });
    const data = bytes(BIG, 9);
    const nothingStored = async (name: string) => {
      expect(await storedBatchFile(h, id, name), name).toBeUndefined();
      expect(storageFiles(h, 'multipart'), name).toEqual([]);
      expect(storageFiles(h, `objects/batches/${id}`), name).toEqual([]);
    };

    // A stream shorter than its declared size: the server refuses the short last part.
    const short = await runboxError(
      runbox.batches.addFile(id, 'short.bin', {
        stream: chunked(data.subarray(0, BIG - 1000)),
        size: BIG,
      }),
      400,
      'invalid-input',
    );
    expect(short.message).toMatch(/Expected exactly/);
    expect(short.requestId).toEqual(expect.any(String));
    await nothingStored('short.bin');

    // A stream longer than its declared size is refused rather than silently cut.
    const long = await rejection(
      runbox.batches.addFile(id, 'long.bin', {
        stream: chunked(new Uint8Array([...data, 1, 2, 3])),
        size: BIG,
      }),
    );
    expect(long).toBeInstanceOf(RunboxError);
    expect((long as RunboxError).message).toMatch(/more than the 11534336 bytes/);
    await nothingStored('long.bin');

    // The caller's signal, aborted after the first part.
    const controller = new AbortController();
    const reason = new Error('the user gave up');
    const aborted = await rejection(
      runbox.batches.addFile(id, 'aborted.bin', new Blob([data]), {
        signal: controller.signal,
        onProgress: () => controller.abort(reason),
      }),
    );
    expect(aborted).toBe(reason);
    await nothingStored('aborted.bin');

    // The batch still takes the file afterwards.
    await runbox.batches.addFile(id, 'whole.bin', new Blob([data]));
    expect((await storedBatchFile(h, id, 'whole.bin'))?.bytes.equals(data)).toBe(true);
  });

  // ---- apps ----

  it('apps: publish from bytes and from a path, list, get, versions, delete', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);

    const v1Dir = nodeApp('probe', '1.0.0');
    const v1 = await runbox.apps.publish(await packDir(v1Dir));
    discardTestApp(v1Dir);
    expect(v1).toMatchObject({ version: '1.0.0', runtime: 'node', created_by: 'alice' });
    expect(v1.manifest).toMatchObject({ name: 'probe', entry: 'index.mjs' });

    // From a .tar.gz on disk, streamed.
    const v2Dir = nodeApp('probe', '1.1.0', { description: 'the second' });
    const archive = join(tmp, 'probe-1.1.0.tar.gz');
    writeFileSync(archive, await packDir(v2Dir));
    discardTestApp(v2Dir);
    const v2 = await runbox.apps.publish(archive);
    expect(v2).toMatchObject({ app_id: v1.app_id, version: '1.1.0', description: 'the second' });

    // Republishing a version is refused.
    const againDir = nodeApp('probe', '1.1.0');
    await runboxError(runbox.apps.publish(await packDir(againDir)), 409, 'conflict');
    discardTestApp(againDir);
    await runboxError(runbox.apps.publish(enc('not an archive')), 400, 'invalid-input');

    const other = await publishProbe(runbox, nodeApp('other', '0.1.0'));
    const { apps } = await runbox.apps.list();
    expect(apps.map((a) => [a.name, a.latest_version]).sort()).toEqual([
      ['other', '0.1.0'],
      ['probe', '1.1.0'],
    ]);
    expect((await runbox.apps.list({ limit: 1 })).apps).toHaveLength(1);
    expect(await runbox.apps.get(v1.app_id)).toMatchObject({
      id: v1.app_id,
      name: 'probe',
      owner: 'alice',
      latest_version: '1.1.0',
    });
    const { versions } = await runbox.apps.versions(v1.app_id);
    expect(versions.map((v) => v.version)).toEqual(['1.1.0', '1.0.0']);

    await runbox.apps.delete(other);
    await runboxError(runbox.apps.get(other), 404, 'record-not-found');
    expect((await runbox.apps.list()).apps.map((a) => a.name)).toEqual(['probe']);
    // Another org does not see it.
    await runboxError((await client(h, h.tokens.eve)).apps.get(v1.app_id), 404, 'record-not-found');
  });

  // ---- runs ----
});

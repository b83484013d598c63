/**
 * A stalled S3 (its process stopped with SIGSTOP: connections open, nothing answers). An
 * upload in flight during a stall shorter than the request timeout waits and succeeds, and is
 * durable once acknowledged; one that outlasts the timeouts and retries fails with 503 and
 * leaves nothing registered, so the client's retry is the only copy that counts. A run whose
 * app package or input cannot be read is handed back to the queue, failing nothing.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/blobs/open-blobs.js';
import { S3Blobs } from '../../src/blobs/s3-blobs.js';
import { loadStorageConfig, S3_MIN_PART_BYTES } from '../../src/blobs/storage-config.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';
import {
  createBatch,
  expectError,
  listBatchFiles,
  listen,
  multipartClient,
  OCTET,
  putBatchFile,
  readAll,
  storedBatchFile,
} from '../http/http-helpers.js';
import {
  createBatch as createBatchOf,
  fieldValues,
  publishOk,
  results,
  startRunOk,
  waitForLog,
  waitForRun,
} from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';
import { expectRunboxError } from './blob-helpers.js';

const PART = S3_MIN_PART_BYTES;
/** Short timeouts, so a stall outlasts every attempt quickly. */
const IMPATIENT = { RUNBOX_S3_SOCKET_TIMEOUT_MS: '1000', RUNBOX_S3_MAX_ATTEMPTS: '2' };

const HANDED_BACK =
  'The worker could not reach the database or the file storage; the run was put back in the queue.';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

describeEachBackend('uploads while S3 stalls', (backend) => {
  let h: Harness;
  let bucket: string;
  afterEach(async () => {
    s3.resume();
    await h?.close();
  });
  const { start, part, finish } = multipartClient(() => h, PART);

  async function harness(env: Record<string, string> = {}) {
    bucket = await s3.createBucket();
    h = await startHarness(backend, {
      ...s3.env(bucket, 'rb'),
      RUNBOX_PART_BYTES: String(PART),
      ...env,
    });
  }

  /**
   * Starts a PUT of a batch file over a real socket and sends two full parts and more, so the
   * multipart upload is under way at S3; the request is left open.
   */
  async function startLargeUpload() {
    const batch = await createBatch(h, h.tokens.alice);
    const port = await listen(h);
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: `/api/v2/batches/${batch}/files/big.bin`,
      headers: { authorization: `Bearer ${h.tokens.alice}`, ...OCTET },
    });
    req.on('error', () => undefined);
    const answered = new Promise<http.IncomingMessage>((r) => req.once('response', r));
    for (let i = 0; i < 11; i++) req.write(Buffer.alloc(1024 * 1024, i));
    await s3.waitForUploadStarted(bucket);
    return { batch, req, answered };
  }

  it('an upload that outlasts the timeouts fails with 503 and registers nothing', async () => {
    await harness(IMPATIENT);
    const batch = await createBatch(h, h.tokens.alice);
    const sid = await start(batch, 'parts.bin', PART + 3);
    const bytes = Buffer.from('sent while S3 was stalled');

    s3.pause();
    const [whole, p1] = await Promise.all([
      putBatchFile(h, h.tokens.alice, batch, 'whole.txt', bytes),
      part(sid, 1, Buffer.alloc(PART, 1)),
    ]);
    // S3 dies without answering: whatever it held is lost, as with a crashed node.
    await s3.restart();

    for (const res of [whole, p1]) {
      expectError(res, 503, 'unavailable');
      expect(res.headers['retry-after']).toBe('1');
    }
    expect(await listBatchFiles(h, h.tokens.alice, batch)).toEqual([]);
    expect(await h.runbox.store.uploads.parts(sid)).toEqual([]);
    expect(await s3.keys(bucket, `rb/batches/${batch}/`)).toEqual([]);

    // The client's retries are the copies that count.
    expect((await putBatchFile(h, h.tokens.alice, batch, 'whole.txt', bytes)).statusCode).toBe(204);
    const again = await part(sid, 1, Buffer.alloc(PART, 1));
    expect(again.statusCode, again.body).toBe(201);
    const p2 = await part(sid, 2, Buffer.from('end'));
    const commit = await finish(sid, { action: 'commit', parts: [again.json(), p2.json()] });
    expect(commit.statusCode, commit.body).toBe(201);
    expect((await storedBatchFile(h, batch, 'whole.txt'))?.bytes.equals(bytes)).toBe(true);
    expect((await storedBatchFile(h, batch, 'parts.bin'))?.bytes.length).toBe(PART + 3);
    expect(await s3.keys(bucket, `rb/batches/${batch}/`)).toHaveLength(2);
  });

  // Only S3 and the blob layer take part in these: once, on the embedded store.
  if (backend === 'sqlite') {
    it('an upload caught by a short stall completes after it and survives a restart of S3', async () => {
      await harness();
      const batch = await createBatch(h, h.tokens.alice);
      const sid = await start(batch, 'parts.bin', PART + 3);
      const bytes = Buffer.from('held during the stall');

      s3.pause();
      const whole = putBatchFile(h, h.tokens.alice, batch, 'whole.txt', bytes);
      await s3.waitForStuckRequest();
      s3.resume();
      expect((await whole).statusCode).toBe(204);

      s3.pause();
      const first = part(sid, 1, Buffer.alloc(PART, 1));
      await s3.waitForStuckRequest();
      s3.resume();
      const p1 = await first;
      expect(p1.statusCode, p1.body).toBe(201);
      const p2 = await part(sid, 2, Buffer.from('end'));
      const parts = [p1.json(), p2.json()];
      expect((await finish(sid, { action: 'commit', parts })).statusCode).toBe(201);

      // Acknowledged means stored: a crash of S3 right after loses neither file.
      await s3.restart();
      expect((await storedBatchFile(h, batch, 'whole.txt'))?.bytes.equals(bytes)).toBe(true);
      const assembled = await storedBatchFile(h, batch, 'parts.bin');
      expect(assembled?.bytes.length).toBe(PART + 3);
      expect(assembled?.bytes.subarray(PART).toString()).toBe('end');
    });

    it('a large upload whose parts time out while the client is still sending answers 503', async () => {
      await harness(IMPATIENT);
      const { batch, req, answered } = await startLargeUpload();
      // Then S3 stops, and the client sends a third part's worth (which goes to the stopped
      // S3) but never finishes.
      s3.pause();
      for (let i = 0; i < 5; i++) req.write(Buffer.alloc(1024 * 1024, i));

      const res = await answered;
      const body = await readAll(res);
      req.destroy();
      await s3.restart();

      expect(res.statusCode, body.toString()).toBe(503);
      expect(JSON.parse(body.toString())).toMatchObject({ type: 'unavailable' });
      expect(await listBatchFiles(h, h.tokens.alice, batch)).toEqual([]);
      expect(await s3.keys(bucket, `rb/batches/${batch}/`)).toEqual([]);
    });

    it('a client that goes away in the middle of a large upload leaves nothing', async () => {
      await harness();
      const { batch, req } = await startLargeUpload();
      req.destroy();

      await until('the abandoned multipart upload to be aborted', () =>
        s3.openUploads(bucket).length === 0 ? true : undefined,
      );
      expect(await listBatchFiles(h, h.tokens.alice, batch)).toEqual([]);
      expect(await s3.keys(bucket)).toEqual([]);
    });
  }
});

describeEachBackend('runs while S3 stalls', (backend) => {
  let h: Harness;
  afterEach(async () => {
    s3.resume();
    await h?.close();
  });

  /** Starts a run while S3 stalls, waits for its hand-back, lets S3 answer, and checks it completed. */
  async function runThroughStall(app_id: string, batch: number): Promise<void> {
    const alice = h.tokens.alice;
    s3.pause();
    const run = await startRunOk(h, alice, { app_id, batch_id: batch });
    const log = await waitForLog(h, alice, run.id, HANDED_BACK);
    s3.resume();

    expect(log).not.toContain('could not be loaded');
    expect(log).not.toContain('no longer stored');
    expect((await waitForRun(h, alice, run.id)).status).toBe('COMPLETE');
    const files = (await results(h, alice, run.id)).files;
    expect(files.map((f) => f.original_file_name)).toEqual(['a.txt']);
    expect(fieldValues(files[0]!.documents[0]!.fields)).toMatchObject({ word_count: '3' });
  }

  it('a run whose app package or input cannot be read is handed back, then completes', async () => {
    const bucket = await s3.createBucket();
    h = await startHarness(backend, { ...s3.env(bucket, 'rb'), ...IMPATIENT });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatchOf(h, h.tokens.alice, { 'a.txt': 'one two three' });

    // First the app's package is not on this worker yet: loading it is what waits on S3.
    await runThroughStall(app_id, batch);
    // Then the package is unpacked here, and reading the input file is what waits.
    await runThroughStall(app_id, batch);
  });
});

describe('S3Blobs while S3 stalls', () => {
  /** S3Blobs on a fresh bucket with short timeouts, so a stall outlasts every attempt quickly. */
  async function impatientBlobs() {
    const bucket = await s3.createBucket();
    const config = loadStorageConfig(s3.env(bucket, 'p'), '/unused');
    if (config.kind !== 's3') throw new Error('expected S3 storage');
    const blobs = new S3Blobs({
      client: createS3Client({ ...config, socketTimeoutMs: 1000, maxAttempts: 2 }),
      bucket,
      prefix: config.prefix,
    });
    return { bucket, blobs };
  }

  it('a read that S3 stops answering part way fails as unavailable', async () => {
    const { blobs } = await impatientBlobs();
    // Larger than what the sockets between can hold, so most of it is still to come.
    await blobs.write('big.bin', Readable.from([Buffer.alloc(48 * 1024 * 1024, 7)]));
    const body = await blobs.read('big.bin');
    const first = await new Promise<Buffer>((r) => body.once('data', r));
    expect(first.length).toBeGreaterThan(0);
    body.pause();
    s3.pause();
    try {
      body.resume();
      await expectRunboxError(readAll(body), 'unavailable');
    } finally {
      await s3.restart();
    }
    blobs.close();
  });

  it('a large write whose parts time out fails as unavailable while its source is still sending', async () => {
    const { bucket, blobs } = await impatientBlobs();
    let release: () => void = () => undefined;
    const source = (async function* () {
      // Two full 5 MiB parts and more: the multipart upload is under way. Then S3 stops, and
      // the source yields a third part's worth (which goes to the stopped S3) and waits: it is
      // not what failed.
      for (let i = 0; i < 11; i++) yield Buffer.alloc(1024 * 1024, i);
      await s3.waitForUploadStarted(bucket);
      s3.pause();
      for (let i = 0; i < 5; i++) yield Buffer.alloc(1024 * 1024, i);
      await new Promise<void>((r) => (release = r));
      yield Buffer.alloc(10);
    })();

    try {
      await expectRunboxError(blobs.write('big.bin', source), 'unavailable');
    } finally {
      release();
      await s3.restart();
    }
    expect(await s3.keys(bucket)).toEqual([]);
    blobs.close();
  });
});

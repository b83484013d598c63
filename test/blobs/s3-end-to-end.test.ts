/**
 * A whole Runbox (API, workers, app processes) storing its files in S3 on both store backends:
 * a batch uploaded whole and in parts, a folder run, the results, a ranged download over a
 * real socket, and the deletion of the runs with their input, checked by listing the bucket.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { S3_MIN_PART_BYTES } from '../../src/blobs/storage-config.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';
import { multipartClient } from '../http/http-helpers.js';
import {
  createBatch,
  expectError,
  fieldValues,
  listen,
  publishOk,
  results,
  startRunOk,
  waitForRun,
  writeFolder,
} from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';

const PART = S3_MIN_PART_BYTES;
const PREFIX = 'runbox';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

describeEachBackend('S3 storage end to end', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { start, finish, sendAll } = multipartClient(() => h, PART);

  it('uploads, runs, serves ranges and deletes runs with their input from the bucket', async () => {
    const bucket = await s3.createBucket();
    h = await startHarness(backend, {
      ...s3.env(bucket, PREFIX),
      RUNBOX_PART_BYTES: String(PART),
      RUNBOX_MAX_FILE_BYTES: String(4 * PART),
    });
    const alice = h.tokens.alice;
    const { app_id } = await publishOk(h, alice, nodeApp());

    // A batch with a file sent whole and one sent in two parts (S3 multipart underneath).
    const batch = await createBatch(h, alice, { 'small.txt': 'one two three' });
    const words = Math.ceil((PART + 1) / 5);
    const big = Buffer.from('word '.repeat(words));
    const sid = await start(batch, 'big.txt', big.length);
    const parts = await sendAll(sid, big);
    expect(parts).toHaveLength(2);
    const commit = await finish(sid, { action: 'commit', parts });
    expect(commit.statusCode, commit.body).toBe(201);
    expect(s3.openUploads(bucket)).toEqual([]);
    const batchKeys = await s3.keys(bucket, `${PREFIX}/batches/${batch}/`);
    expect(batchKeys).toHaveLength(2);

    const batchRun = await startRunOk(h, alice, { app_id, batch_id: batch });
    // A folder run: its input is copied inside the bucket.
    const folder = 'acme/alice/fs/Runbox Drive/notes';
    await writeFolder(h, alice, folder, { 'a.txt': 'alpha beta', 'b.txt': 'gamma' });
    const folderRun = await startRunOk(h, alice, { app_id, input_dir: folder });
    for (const run of [batchRun, folderRun]) {
      expect((await waitForRun(h, alice, run.id)).status).toBe('COMPLETE');
    }
    const counts = async (id: string) =>
      Object.fromEntries(
        (await results(h, alice, id)).files.map((f) => [
          f.original_file_name,
          fieldValues(f.documents[0]!.fields).word_count,
        ]),
      );
    expect(await counts(batchRun.id)).toEqual({ 'big.txt': String(words), 'small.txt': '3' });
    expect(await counts(folderRun.id)).toEqual({ 'a.txt': '2', 'b.txt': '1' });
    expect(await s3.keys(bucket, `${PREFIX}/runs/${folderRun.id}/input/`)).toHaveLength(2);

    // A ranged read streamed from S3 through a real socket.
    const port = await listen(h);
    const ranged = await fetch(
      `http://127.0.0.1:${port}/api/v2/files/${encodeURI(`${folder}/a.txt`)}?expect-node-type=file`,
      { headers: { authorization: `Bearer ${alice}`, range: 'bytes=6-9' } },
    );
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 6-9/10');
    expect(await ranged.text()).toBe('beta');

    // Deleting both runs with their input empties their places in the bucket, and only those.
    const kept = await s3.keys(bucket, `${PREFIX}/files/`);
    expect(kept).toHaveLength(2);
    for (const run of [batchRun, folderRun]) {
      const del = await h.as(alice, { method: 'DELETE', url: `/api/v2/apps/runs/${run.id}` });
      expect(del.statusCode, del.body).toBe(202);
      const jobs = Object.values(del.json<Record<string, string | null>>()).filter(
        (j): j is string => j !== null,
      );
      for (const job of new Set(jobs)) {
        expect((await waitForJob(h, alice, job)).state).toBe('COMPLETE');
      }
      expectError(
        await h.as(alice, { method: 'GET', url: `/api/v2/apps/runs/${run.id}` }),
        404,
        'record-not-found',
      );
      expect(await s3.keys(bucket, `${PREFIX}/runs/${run.id}/`)).toEqual([]);
    }
    expect(await s3.keys(bucket, `${PREFIX}/batches/`)).toEqual([]);
    expect(await s3.keys(bucket, `${PREFIX}/files/`)).toEqual(kept);
    // Everything Runbox stored is under its prefix.
    expect((await s3.keys(bucket)).every((k) => k.startsWith(`${PREFIX}/`))).toBe(true);
  });
});

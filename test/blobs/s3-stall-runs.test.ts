/**
 * A run whose input S3 cannot give (stalled past the timeouts and retries) is not the input's
 * fault: the run is handed back to the queue, nothing is recorded for the file, and it
 * completes with its real results once S3 answers again.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';
import {
  createBatch,
  fieldValues,
  publishOk,
  results,
  startRunOk,
  waitForLog,
  waitForRun,
} from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';

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
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'one two three' });

    // First the app's package is not on this worker yet: loading it is what waits on S3.
    await runThroughStall(app_id, batch);
    // Then the package is unpacked here, and reading the input file is what waits.
    await runThroughStall(app_id, batch);
  });
});

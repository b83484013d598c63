import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, freshTarget } from '../helpers/backends.js';
import {
  cliProcesses,
  createBatch,
  filesUnder,
  finishedJob,
  listFiles,
  printedToken,
  putFile,
  sha256,
  sha256OfFile,
  storeEnv,
  until,
  type CliServer,
} from './process-helpers.js';

const MB = 1024 * 1024;

/** The server's peak resident memory in bytes, from /proc (Linux); undefined elsewhere. */
function peakRss(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Deterministic pseudo-random bytes, `chunks` × 1 MB, made one chunk at a time. */
function* chunksOf(seed: Buffer, chunks: number): Generator<Buffer> {
  for (let i = 0; i < chunks; i++) {
    const chunk = Buffer.alloc(MB);
    for (let off = 0; off < MB; off += seed.length) seed.copy(chunk, off);
    chunk.writeUInt32BE(i, 0);
    yield chunk;
  }
}

/**
 * A PUT over a raw socket whose body is written by the test, chunk by chunk, with an honest
 * Content-Length; resolves with the status once the server has answered.
 */
function streamingPut(server: CliServer, token: string, path: string, length: number) {
  const req = request(`${server.url}${path}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/octet-stream',
      'content-length': String(length),
    },
  });
  const response = new Promise<number>((ok, fail) => {
    req.once('error', fail);
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => ok(res.statusCode ?? 0));
    });
  });
  // Awaited by the caller; this only keeps a test that failed half-way from an unhandled rejection.
  response.catch(() => undefined);
  /** Writes `chunk`, waiting for the socket to drain (so memory use stays on the server side). */
  const write = (chunk: Buffer) =>
    new Promise<void>((ok, fail) => req.write(chunk, (err) => (err ? fail(err) : ok())));
  return { req, response, write };
}

describeEachBackend('crash safety of runbox serve', (backend) => {
  const cli = cliProcesses();

  it('SIGKILL during an upload: the partial file is never listed or stored, earlier files are intact', async () => {
    const target = freshTarget(backend);
    const env = storeEnv(target);
    const server = await cli.serve(env);
    const token = await printedToken(server);
    const batchId = await createBatch(server, token, 'crash');
    const before = randomBytes(3 * MB + 17);
    expect(await putFile(server, token, batchId, 'before.bin', before)).toBe(204);

    // Batch files only: a fresh install also stores the example apps' packages.
    const objects = join(target.dataDir, 'blobs', 'objects', 'batches');
    const spool = join(target.dataDir, 'blobs', 'tmp');
    expect(filesUnder(objects)).toHaveLength(1);
    const [storedBefore] = filesUnder(objects);

    // 30 MB announced, 2 MB sent: the server is mid-way through spooling the body.
    const upload = streamingPut(
      server,
      token,
      `/api/v2/batches/${batchId}/files/partial.bin`,
      30 * MB,
    );
    for (const chunk of chunksOf(randomBytes(4096), 2)) await upload.write(chunk);
    await until('the server to spool part of the upload', () =>
      filesUnder(spool).length > 0 ? true : undefined,
    );
    expect(await server.child.crash()).toEqual({ code: null, signal: 'SIGKILL' });
    await expect(upload.response).rejects.toThrow();

    const restarted = await cli.serve(env);
    expect(await listFiles(restarted, token, batchId)).toMatchObject([
      { name: 'before.bin', metadata: { size: before.length } },
    ]);
    // Only the finished file is under objects/, with exactly the bytes that were sent.
    expect(filesUnder(objects)).toEqual([storedBefore]);
    expect(await sha256OfFile(join(objects, storedBefore!))).toBe(sha256(before));

    // The batch still takes uploads after the crash, under the name that was interrupted.
    const again = randomBytes(MB);
    expect(await putFile(restarted, token, batchId, 'partial.bin', again)).toBe(204);
    expect(await listFiles(restarted, token, batchId)).toMatchObject([
      { name: 'before.bin', metadata: { size: before.length } },
      { name: 'partial.bin', metadata: { size: MB } },
    ]);
  });

  it('SIGKILL with deletion jobs in flight: after a restart every job completes and the objects are gone', async () => {
    const target = freshTarget(backend);
    const env = storeEnv(target, { RUNBOX_JOB_LEASE_MS: '500' });
    const server = await cli.serve(env);
    const token = await printedToken(server);

    const batches: number[] = [];
    for (let b = 0; b < 4; b++) {
      const id = await createBatch(server, token, `many-${b}`);
      batches.push(id);
      for (let f = 0; f < 20; f += 10) {
        const statuses = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            putFile(server, token, id, `f${f + i}.bin`, randomBytes(1024)),
          ),
        );
        expect(statuses.every((s) => s === 204)).toBe(true);
      }
    }
    // Batch files only: a fresh install also stores the example apps' packages.
    const objects = join(target.dataDir, 'blobs', 'objects', 'batches');
    expect(filesUnder(objects)).toHaveLength(80);

    const jobs = await Promise.all(
      batches.map(async (id) => {
        const res = await server.api(`/api/v2/batches/${id}`, { token, method: 'DELETE' });
        expect(res.status).toBe(202);
        return ((await res.json()) as { job_id: string }).job_id;
      }),
    );
    // Killed straight after the deletions were accepted: typically some jobs are still PENDING
    // and others RUNNING under the dead server's lease, which runs out 500 ms later.
    await server.child.crash();
    const restarted = await cli.serve(env);
    for (const jobId of jobs) {
      const job = await finishedJob(restarted, token, jobId);
      expect(job.state, job.message).toBe('COMPLETE');
    }
    for (const id of batches) {
      expect((await restarted.api(`/api/v2/batches/${id}`, { token })).status).toBe(404);
    }
    expect(filesUnder(objects)).toEqual([]);
  });
});

// The upload path does not depend on the database, so one backend is enough here.
describe('large uploads through runbox serve', () => {
  const cli = cliProcesses();

  it('a 128 MB upload over a socket is stored byte for byte, streamed rather than held in memory', async () => {
    const size = 128 * MB;
    const target = freshTarget('sqlite');
    const env = storeEnv(target, { RUNBOX_MAX_FILE_BYTES: String(256 * MB) });
    const server = await cli.serve(env);
    const token = await printedToken(server);
    const batchId = await createBatch(server, token, 'big');
    const baseline = peakRss(server.child.pid);

    const upload = streamingPut(server, token, `/api/v2/batches/${batchId}/files/big.bin`, size);
    const hash = createHash('sha256');
    for (const chunk of chunksOf(randomBytes(4096), size / MB)) {
      hash.update(chunk);
      await upload.write(chunk);
    }
    upload.req.end();
    expect(await upload.response).toBe(204);

    expect(await listFiles(server, token, batchId)).toMatchObject([
      { name: 'big.bin', metadata: { size } },
    ]);
    // Batch files only: a fresh install also stores the example apps' packages.
    const objects = join(target.dataDir, 'blobs', 'objects', 'batches');
    const stored = filesUnder(objects);
    expect(stored).toHaveLength(1);
    expect(await sha256OfFile(join(objects, stored[0]!))).toBe(hash.digest('hex'));

    const peak = peakRss(server.child.pid);
    // The claim this test makes needs /proc (Linux, as these machines are): not skippable.
    expect(baseline, 'peak RSS readable from /proc').toBeDefined();
    expect(peak, 'peak RSS readable from /proc').toBeDefined();
    // Holding the body would add at least its 128 MB; streaming adds garbage-collector slack
    // (about 30 MB here, whatever the file size).
    const seen = `peak RSS ${baseline! / MB} MB before the upload, ${peak! / MB} MB after`;
    expect(peak! - baseline!, seen).toBeLessThan(size / 2);

    const del = await server.api(`/api/v2/batches/${batchId}`, { token, method: 'DELETE' });
    const { job_id: jobId } = (await del.json()) as { job_id: string };
    expect(await finishedJob(server, token, jobId)).toMatchObject({ state: 'COMPLETE' });
    expect(filesUnder(objects)).toEqual([]);
  });
});

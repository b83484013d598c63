/**
 * The TypeScript SDK (client/src) against a real Runbox on each backend, over real sockets with
 * the global fetch: every resource method, pagination, the multipart upload of a large file,
 * `wait` resolving on each resting state (following events, or polling when the stream fails),
 * timeouts and aborts, typed errors, and the retries of 429s and dropped connections. Where a
 * network fault is needed, a fetch wrapper makes it; the server and the apps are the real ones.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  MULTIPART_THRESHOLD,
  Runbox,
  RunboxError,
  RunboxTimeoutError,
  type Run,
  type RunEvent,
} from '../../client/src/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { storageFiles, storedBatchFile } from '../http/http-helpers.js';
import { until } from '../helpers/poll.js';
import { packDir } from '../runs/run-helpers.js';
import { discardTestApp, nodeApp } from '../runs/test-apps.js';
import {
  apiRoot,
  bytes,
  chunked,
  client,
  closedPort,
  collect,
  connectionReset,
  recordingFetch,
  signal,
} from './sdk-helpers.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
/** Over the SDK's 10 MB threshold: three parts of PART (5, 5 and 1 MiB). */
const BIG = 11 * MiB;
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const enc = (s: string) => new TextEncoder().encode(s);

/** The rejection of `p`, which must reject. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/** The RunboxError `p` rejects with, checked for its status and type. */
async function runboxError(p: Promise<unknown>, status: number, type: string) {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(RunboxError);
  const e = err as RunboxError;
  expect({ status: e.status, type: e.type }, e.message).toEqual({ status, type });
  expect(e.name).toBe('RunboxError');
  expect(e.message).not.toBe('');
  return e;
}

const statesOf = (events: RunEvent[]) =>
  events.filter((e) => e.kind === 'status').map((e) => e.data.state);

describeEachBackend('TypeScript SDK', (backend) => {
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

  /** Publishes the test node app (or `dir`) through the SDK; returns its app id. */
  async function publishProbe(runbox: Runbox, dir = nodeApp()): Promise<string> {
    const pkg = await packDir(dir);
    discardTestApp(dir);
    return (await runbox.apps.publish(pkg)).app_id;
  }

  /** A batch holding `files`, uploaded through the SDK. */
  async function batchOf(runbox: Runbox, files: Record<string, string>): Promise<number> {
    const { id } = await runbox.batches.create({ name: 'input' });
    for (const [name, content] of Object.entries(files)) {
      await runbox.batches.addFile(id, name, enc(content));
    }
    return id;
  }

  /** A run of the probe app with a gate: files named `gate…` wait until `open()` is called. */
  async function gatedRun(runbox: Runbox, files: Record<string, string>, appId?: string) {
    const app_id = appId ?? (await publishProbe(runbox));
    const gate = join(tmp, `gate-${randomUUID()}`);
    const batch_id = await batchOf(runbox, files);
    const run = await runbox.apps.runs.create({
      app_id,
      batch_id,
      settings: { keys: { custom: { gate } } },
    });
    return { app_id, batch_id, gate, run, open: () => writeFileSync(gate, '') };
  }

  // ---- batches ----

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

  it('runs: create (idempotent), status, list, wait on COMPLETE following events, results across pages, logs, events, delete', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const names = Array.from({ length: 24 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    const files = Object.fromEntries(names.map((n, i) => [n, 'w '.repeat(i + 1)]));
    const { app_id, batch_id, gate, run, open } = await gatedRun(runbox, {
      ...files,
      'gate-log.txt': 'the gated one',
    });
    expect(run).toMatchObject({ status: 'RUNNING', batch_id, app_id });

    // The same idempotency key gives back the same run; another key a new one.
    const body = { app_name: 'probe', batch_id, settings: { keys: { custom: { gate } } } };
    const keyed = await runbox.apps.runs.create(body, { idempotencyKey: 'nightly-1' });
    expect((await runbox.apps.runs.create(body, { idempotencyKey: 'nightly-1' })).id).toBe(
      keyed.id,
    );
    expect(keyed.id).not.toBe(run.id);

    // wait follows the events: the gate opens once it has seen the first one, so every event
    // after that is seen live. The log is followed at the same time.
    const seen: RunEvent[] = [];
    const followed = collect(runbox.apps.runs.followLogs(run.id));
    const done = await runbox.apps.runs.wait(run.id, {
      onEvent: (e) => {
        if (seen.length === 0) open();
        seen.push(e);
      },
    });
    expect(done).toMatchObject({ id: run.id, status: 'COMPLETE', msg: 'Completed 25 files.' });
    expect(statesOf(seen)).toEqual(['queued', 'running', 'complete']);
    expect(seen.filter((e) => e.kind === 'file')).toHaveLength(25);
    expect(seen.every((e, i) => i === 0 || e.id > seen[i - 1]!.id)).toBe(true);
    expect(await runbox.apps.runs.status(run.id)).toEqual(done);
    await runbox.apps.runs.wait(keyed.id, { pollMs: 20 });

    // Logs: whole, and followed live to the end (the same lines).
    const log = await runbox.apps.runs.logs(run.id);
    expect(log).toMatch(/\[status\] complete: Completed 25 files\./);
    expect(log).toContain('line 3 of gate-log.txt');
    expect(await followed).toEqual(log.trimEnd().split('\n'));

    // Events of a finished run: a replay that ends; afterId resumes after an event.
    const events = await collect(runbox.apps.runs.events(run.id));
    expect(events).toEqual(seen);
    const running = events.find((e) => e.data.state === 'running')!;
    expect(await collect(runbox.apps.runs.events(run.id, { afterId: running.id }))).toEqual(
      events.filter((e) => e.id > running.id),
    );

    // Results: a page of 20, then every file across pages.
    const page = await runbox.apps.runs.results(run.id, { include_confidence_scores: true });
    expect(page).toMatchObject({ id: run.id, status: 'COMPLETE', has_more: true });
    expect(page.files).toHaveLength(20);
    // Field names on the results wire are snake_case.
    expect(page.files[0]!.documents[0]!.fields[0]).toMatchObject({
      field_name: 'word_count',
      confidence: { model: 0.75 },
    });
    const recorder = recordingFetch();
    const recorded = await client(h, h.tokens.alice, { fetch: recorder.fetch });
    const all = await collect(recorded.apps.runs.allResults(run.id));
    expect(
      recorder.sent.map((s) => new URL(s.path, 'http://x').searchParams.get('file_offset')),
    ).toEqual(['0', '20']);
    expect(all.map((f) => f.original_file_name)).toEqual([...names, 'gate-log.txt']);
    expect(all.map((f) => f.documents[0]!.fields[0]!.value)).toEqual([
      ...names.map((_, i) => String(i + 1)),
      '3',
    ]);

    // list, with the filters of the reference.
    const ids = (runs: Run[]) => runs.map((r) => r.id).sort();
    expect(ids((await runbox.apps.runs.list()).runs)).toEqual([run.id, keyed.id].sort());
    expect(ids((await runbox.apps.runs.list({ app_id, status: ['COMPLETE'] })).runs)).toEqual(
      [run.id, keyed.id].sort(),
    );
    expect((await runbox.apps.runs.list({ status: ['FAILED', 'CANCELLED'] })).runs).toEqual([]);
    expect((await runbox.apps.runs.list({ run_id: run.id })).runs).toEqual([done]);
    expect((await runbox.apps.runs.list({ app_name: 'nope' })).runs).toEqual([]);
    expect((await runbox.apps.runs.list({ limit: 1 })).runs).toHaveLength(1);
    expect((await (await client(h, h.tokens.eve)).apps.runs.list()).runs).toEqual([]);

    // delete: the jobs it returns all complete, and the run and its batch are gone.
    const jobs = await runbox.apps.runs.delete(run.id);
    const jobIds = Object.values(jobs).filter((j): j is string => typeof j === 'string');
    expect(jobIds).toHaveLength(3);
    for (const j of jobIds) {
      expect(await runbox.jobs.wait(j, { pollMs: 20 })).toMatchObject({ state: 'COMPLETE' });
    }
    await runboxError(runbox.apps.runs.status(run.id), 404, 'record-not-found');
    await runboxError(runbox.batches.get(batch_id), 404, 'record-not-found');
    // Keeping parts: only the log goes, the run stays.
    const kept = await runbox.apps.runs.delete(keyed.id, {
      delete_db_data: false,
      delete_input: false,
      delete_output: false,
    });
    expect(kept).toMatchObject({ delete_input_dir_job_id: null, delete_output_dir_job_id: null });
    expect(kept.delete_log_dir_job_id).toEqual(expect.any(String));
    expect((await runbox.apps.runs.status(keyed.id)).status).toBe('COMPLETE');
  });

  it('runs: wait resolves on FAILED when every file throws', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const batch_id = await batchOf(runbox, { 'throw-a.txt': 'a', 'throw-b.txt': 'b' });
    const run = await runbox.apps.runs.create({ app_id, batch_id });
    const seen: RunEvent[] = [];
    const failed = await runbox.apps.runs.wait(run.id, { onEvent: (e) => seen.push(e) });
    expect(failed.status).toBe('FAILED');
    expect(failed.finish_timestamp).toEqual(expect.any(Number));
    // Whatever of the run wait saw live ended in its failure.
    if (seen.length > 0) expect(statesOf(seen).at(-1)).toBe('failed');
    const results = await collect(runbox.apps.runs.allResults(run.id));
    expect(results.map((f) => f.documents[0]?.fields.map((x) => x.error_msg))).toEqual([
      [expect.stringMatching(/boom in throw-a\.txt/), expect.stringMatching(/boom/)],
      [expect.stringMatching(/boom in throw-b\.txt/), expect.stringMatching(/boom/)],
    ]);
    // Waiting on a finished run answers at once.
    expect(await runbox.apps.runs.wait(run.id)).toEqual(failed);
  });

  it('runs: wait resolves on CANCELLED when a running run is cancelled; a second cancel is a conflict', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const batch_id = await batchOf(runbox, { 'slow.txt': 'zzz' });
    const run = await runbox.apps.runs.create({ app_id, batch_id });

    const subscribed = signal();
    const seen: RunEvent[] = [];
    const waiting = runbox.apps.runs.wait(run.id, {
      onEvent: (e) => {
        seen.push(e);
        subscribed.resolve();
      },
    });
    await subscribed.promise;
    await until('the slow file to start', async () =>
      (await runbox.apps.runs.logs(run.id)).includes('started slow.txt') ? true : undefined,
    );
    const cancelling = await runbox.apps.runs.cancel(run.id);
    expect(cancelling.id).toBe(run.id);
    expect(cancelling.msg).toMatch(/cancel/i);

    const cancelled = await waiting;
    expect(cancelled).toMatchObject({ id: run.id, status: 'CANCELLED' });
    expect(statesOf(seen)).toEqual(['queued', 'running', 'cancelling', 'cancelled']);
    expect(await runbox.apps.runs.logs(run.id)).toContain('abort seen by slow.txt');
    const again = await runboxError(runbox.apps.runs.cancel(run.id), 409, 'conflict');
    expect(again.message).toMatch(/already ended/);
  });

  it('runs: wait resolves on STOPPED_AT_CHECKPOINT; review get, update and resume complete the run', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(
      runbox,
      nodeApp('checked', '1.0.0', {
        fields: [{ name: 'word count', type: 'NUMBER', min: 100 }, { name: 'file name' }],
        review: 'always',
      }),
    );
    const batch_id = await batchOf(runbox, { 'short.txt': 'only three words' });
    const run = await runbox.apps.runs.create({ app_id, batch_id });

    const stopped = await runbox.apps.runs.wait(run.id);
    expect(stopped).toMatchObject({
      status: 'STOPPED_AT_CHECKPOINT',
      msg: 'Stopped at the checkpoint: 1 file needs review.',
    });
    const review = await runbox.review.get(run.id);
    expect(review).toMatchObject({
      run_id: run.id,
      status: 'STOPPED_AT_CHECKPOINT',
      review_completed: false,
      files_to_review: 1,
      files_reviewed: 0,
    });
    expect(review.files[0]!.documents[0]).toMatchObject({
      final_result_pass: false,
      failing_fields: ['word count'],
    });
    // Resuming with the file unreviewed is refused.
    await runboxError(runbox.review.resume(run.id), 409, 'conflict');

    const reviewed = await runbox.review.update(run.id, 0, {
      corrections: [{ field_name: 'word count', value: '150' }],
      reviewed: true,
    });
    expect(reviewed).toMatchObject({ file_index: 0, reviewed: true, reviewed_by: 'alice' });
    expect(reviewed.documents[0]!.fields.find((f) => f.field_name === 'word count')).toMatchObject({
      value: '150',
      validations: { valid: true },
    });
    expect(await runbox.review.resume(run.id)).toMatchObject({ id: run.id, status: 'COMPLETE' });
    expect((await runbox.apps.runs.wait(run.id)).status).toBe('COMPLETE');
    const [file] = await collect(
      runbox.apps.runs.allResults(run.id, { include_review_results: true }),
    );
    expect(file!.documents[0]!.fields.find((f) => f.field_name === 'word_count')).toMatchObject({
      value: '150',
      edit_history: [expect.objectContaining({ user_id: 'alice' })],
    });
  });

  it('runs: wait and jobs.wait give up on their timeout and on an aborted signal', async () => {
    // No workers: the run stays queued and the deletion job pending.
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const batch_id = await batchOf(runbox, { 'a.txt': 'a' });
    const run = await runbox.apps.runs.create({ app_id, batch_id });

    const timedOut = await rejection(runbox.apps.runs.wait(run.id, { timeoutMs: 200 }));
    expect(timedOut).toBeInstanceOf(RunboxTimeoutError);
    expect(timedOut).toBeInstanceOf(RunboxError);
    expect(timedOut).toMatchObject({ status: 0, type: 'timeout' });
    expect((timedOut as Error).message).toContain(run.id);

    const reason = new Error('not any more');
    expect(
      await rejection(runbox.apps.runs.wait(run.id, { signal: AbortSignal.abort(reason) })),
    ).toBe(reason);

    // Aborted while following the events stream.
    const controller = new AbortController();
    const stop = new Error('stop now');
    const seen: RunEvent[] = [];
    const aborted = await rejection(
      runbox.apps.runs.wait(run.id, {
        signal: controller.signal,
        onEvent: (e) => {
          seen.push(e);
          controller.abort(stop);
        },
      }),
    );
    expect(aborted).toBe(stop);
    expect(statesOf(seen)).toEqual(['queued']);

    const { job_id } = await runbox.batches
      .create({ name: 'doomed' })
      .then(({ id }) => runbox.batches.delete(id));
    const jobTimedOut = await rejection(runbox.jobs.wait(job_id, { timeoutMs: 200, pollMs: 20 }));
    expect(jobTimedOut).toBeInstanceOf(RunboxTimeoutError);
    expect((jobTimedOut as Error).message).toContain(job_id);
    expect(await rejection(runbox.jobs.wait(job_id, { signal: AbortSignal.abort(reason) }))).toBe(
      reason,
    );
    expect((await runbox.jobs.status(job_id)).state).toBe('PENDING');
    // Nothing moved: the run is still queued.
    expect((await runbox.apps.runs.status(run.id)).status).toBe('RUNNING');
  });

  it('runs: wait falls back to polling when the events stream fails', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    let openGate: () => void = () => undefined;
    const { fetch, sent } = recordingFetch(({ path }) => {
      if (!path.includes('/events')) return undefined;
      // The first status poll has seen the run unfinished; now let it finish.
      openGate();
      throw connectionReset();
    });
    const { run, open } = await gatedRun(runbox, { 'gate.txt': 'a b c' });
    openGate = open;
    const seen: RunEvent[] = [];
    const polling = await client(h, h.tokens.alice, { fetch });
    const done = await polling.apps.runs.wait(run.id, { pollMs: 20, onEvent: (e) => seen.push(e) });
    expect(done).toMatchObject({ id: run.id, status: 'COMPLETE' });
    expect(seen).toEqual([]);
    const eventsTried = sent.filter((s) => s.path.includes('/events'));
    const statusPolls = sent.filter((s) => s.path === `/api/v2/apps/runs/${run.id}`);
    expect(eventsTried.length).toBeGreaterThanOrEqual(1);
    expect(eventsTried.every((s) => s.status === 'threw')).toBe(true);
    expect(statusPolls.length).toBeGreaterThanOrEqual(2);
    expect(statusPolls.at(-1)!.status).toBe(200);

    // A stream answering 502 (a proxy in the way) is polled around as well.
    const bad = recordingFetch(({ path }) =>
      path.includes('/events') ? new Response('bad gateway', { status: 502 }) : undefined,
    );
    const second = await gatedRun(runbox, { 'gate.txt': 'x' }, done.app_id!);
    const viaProxy = await client(h, h.tokens.alice, { fetch: bad.fetch });
    const waiting = viaProxy.apps.runs.wait(second.run.id, { pollMs: 20 });
    await until('wait to try the events stream', () =>
      bad.sent.some((s) => s.status === 502) ? true : undefined,
    );
    second.open();
    expect((await waiting).status).toBe('COMPLETE');
  });

  // ---- deployments, secrets, retention, files ----

  it('deployments: create (with its webhook secret), list, get, update, run, delete', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const d = await runbox.apps.deployments.create({
      name: 'nightly',
      app_name: 'probe',
      keys: { custom: { gate: '/nonexistent' } },
      concurrency_limit: 2,
    });
    expect(d).toMatchObject({ name: 'nightly', app_id, concurrency_limit: 2, created_by: 'alice' });
    expect(d.webhook_secret).toEqual(expect.any(String));
    // The secret is shown only now: the same deployment without it.
    expect(await runbox.apps.deployments.get(d.id)).toEqual(
      Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'webhook_secret')),
    );
    expect((await runbox.apps.deployments.list({ app_id })).deployments.map((x) => x.id)).toEqual([
      d.id,
    ]);
    expect((await runbox.apps.deployments.list({ app_id: 'nope' })).deployments).toEqual([]);

    const changed = await runbox.apps.deployments.update(d.id, {
      name: 'nightly-2',
      review_policy: 'never',
      rotate_webhook_secret: true,
    });
    expect(changed).toMatchObject({
      name: 'nightly-2',
      review_policy: 'never',
      concurrency_limit: 2,
    });
    expect(changed.webhook_secret).toEqual(expect.any(String));
    expect(changed.webhook_secret).not.toBe(d.webhook_secret);
    expect(
      (await runbox.apps.deployments.update(d.id, { concurrency_limit: null })).webhook_secret,
    ).toBeUndefined();

    const batch_id = await batchOf(runbox, { 'a.txt': 'one two' });
    const run = await runbox.apps.deployments.run(d.id, { batch_id }, { idempotencyKey: 'd-1' });
    expect(run).toMatchObject({ deployment_id: d.id, app_id, batch_id });
    expect(
      (await runbox.apps.deployments.run(d.id, { batch_id }, { idempotencyKey: 'd-1' })).id,
    ).toBe(run.id);
    expect((await runbox.apps.runs.wait(run.id)).status).toBe('COMPLETE');
    expect((await runbox.apps.runs.list({ deployment_id: d.id })).runs.map((r) => r.id)).toEqual([
      run.id,
    ]);

    await runbox.apps.deployments.delete(d.id);
    await runboxError(runbox.apps.deployments.get(d.id), 404, 'record-not-found');
    // Its runs stay.
    expect((await runbox.apps.runs.status(run.id)).deployment_id).toBe(d.id);
  });

  it('secrets: create, list, update, delete; values never come back; members may not write', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    await runbox.secrets.create({
      alias: 'ocr_key',
      value: 'sk-very-secret',
      description: 'OCR service',
      allowed_workspaces_type: 'ALL',
    });
    const [listed] = (await runbox.secrets.list()).secrets;
    expect(listed).toMatchObject({
      alias: 'ocr_key',
      description: 'OCR service',
      allowed_workspaces_type: 'ALL',
      org: 'acme',
      created_by: 'alice',
    });
    expect(JSON.stringify(listed)).not.toContain('sk-very-secret');
    await runboxError(
      runbox.secrets.create({ alias: 'ocr_key', value: 'x', allowed_workspaces_type: 'ALL' }),
      409,
      'conflict',
    );

    await runbox.secrets.update({ alias: 'ocr_key', value: 'sk-rotated', description: 'rotated' });
    expect((await runbox.secrets.list({ alias: 'ocr_key' })).secrets).toEqual([
      expect.objectContaining({ alias: 'ocr_key', description: 'rotated' }),
    ]);
    const bob = await client(h, h.tokens.bob);
    await runboxError(
      bob.secrets.create({ alias: 'mine', value: 'x', allowed_workspaces_type: 'ALL' }),
      403,
      'permission-denied',
    );
    await runboxError(bob.secrets.delete('ocr_key'), 403, 'permission-denied');

    await runbox.secrets.delete('ocr_key');
    expect((await runbox.secrets.list()).secrets).toEqual([]);
    await runboxError(runbox.secrets.delete('ocr_key'), 404, 'record-not-found');
  });

  it('retention: put (create and replace), list, delete; admins only', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const org = await runbox.retention.put({ scope: 'org', days: 30 });
    expect(org).toMatchObject({
      scope: 'org',
      days: 30,
      delete_input: true,
      delete_logs: true,
      created_by: 'alice',
    });
    const app = await runbox.retention.put({
      scope: 'app',
      target_id: app_id,
      days: 7,
      delete_logs: false,
    });
    expect(app).toMatchObject({ scope: 'app', target_id: app_id, delete_logs: false });
    const replaced = await runbox.retention.put({ scope: 'org', days: 90 });
    expect(replaced.days).toBe(90);
    const { policies } = await runbox.retention.list();
    expect(policies.map((p) => [p.scope, p.days]).sort()).toEqual([
      ['app', 7],
      ['org', 90],
    ]);
    await runboxError((await client(h, h.tokens.bob)).retention.list(), 403, 'permission-denied');
    await runboxError(runbox.retention.put({ scope: 'org', days: 0 }), 400, 'invalid-input');

    await runbox.retention.delete(app.id);
    expect((await runbox.retention.list()).policies.map((p) => p.scope)).toEqual(['org']);
    await runboxError(runbox.retention.delete(app.id), 404, 'record-not-found');
  });

  it('files: write, read whole and by range, list, stat, delete', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const dir = 'acme/alice/fs/Runbox Drive/sdk in';
    await runbox.files.write(`${dir}/hello.txt`, 'hello world');
    await runbox.files.write(`${dir}/odd #1?.bin`, bytes(1000, 5));
    await runbox.files.write(`${dir}/sub/blob.txt`, new Blob(['from a blob']));
    await runbox.files.write(`${dir}/stream.txt`, {
      stream: chunked(enc('from a stream'), 4),
      size: 13,
    });

    expect(text(await runbox.files.read(`${dir}/hello.txt`))).toBe('hello world');
    expect(text(await runbox.files.read(`${dir}/hello.txt`, { range: 'bytes=6-10' }))).toBe(
      'world',
    );
    expect(await runbox.files.read(`${dir}/odd #1?.bin`)).toEqual(bytes(1000, 5));
    expect(text(await runbox.files.read(`${dir}/sub/blob.txt`))).toBe('from a blob');
    expect(text(await runbox.files.read(`${dir}/stream.txt`))).toBe('from a stream');
    await runboxError(
      runbox.files.read(`${dir}/hello.txt`, { range: 'bytes=50-60' }),
      416,
      'range-not-satisfiable',
    );

    const { nodes } = await runbox.files.list(dir);
    expect(nodes.map((n) => [n.name, n.metadata.node_type, n.metadata.size]).sort()).toEqual([
      ['hello.txt', 'file', 11],
      ['odd #1?.bin', 'file', 1000],
      ['stream.txt', 'file', 13],
      ['sub', 'folder', 0],
    ]);
    const stat = await runbox.files.stat(`${dir}/hello.txt`);
    expect(stat?.size).toBe(11);
    expect(Number.isNaN(Date.parse(stat!.modified!))).toBe(false);
    expect(await runbox.files.stat(`${dir}/missing.txt`)).toBeUndefined();

    // If-None-Match: refuses to overwrite, creates what is not there.
    await runboxError(
      runbox.files.write(`${dir}/hello.txt`, 'again', { ifNoneMatch: true }),
      412,
      'precondition-failed',
    );
    await runbox.files.write(`${dir}/new.txt`, 'new', { ifNoneMatch: true });
    expect(text(await runbox.files.read(`${dir}/hello.txt`))).toBe('hello world');

    const job = await runbox.files.delete(`${dir}/sub`);
    expect(await runbox.jobs.wait(job, { pollMs: 20 })).toMatchObject({ state: 'COMPLETE' });
    expect(await runbox.files.stat(`${dir}/sub/blob.txt`)).toBeUndefined();
    // Another org's client cannot see it.
    await runboxError(
      (await client(h, h.tokens.eve)).files.read(`${dir}/hello.txt`),
      404,
      'record-not-found',
    );
  });

  // ---- errors and retries ----

  it('errors: every failure is a RunboxError with status, type, message and request id', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const { id } = await runbox.batches.create({ name: 'mine' });

    const notFound = await runboxError(runbox.batches.get(999_999), 404, 'record-not-found');
    expect(notFound.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(notFound).toBeInstanceOf(Error);
    const invalid = await runboxError(runbox.batches.list({ limit: 0 }), 400, 'invalid-input');
    expect(invalid.message).toMatch(/limit/);
    expect(invalid.requestId).not.toBe(notFound.requestId);
    await runboxError(runbox.batches.create({ name: '' }), 400, 'invalid-input');
    await runboxError((await client(h, h.tokens.bob)).retention.list(), 403, 'permission-denied');
    await runboxError((await client(h, h.tokens.eve)).batches.get(id), 404, 'record-not-found');
    await runboxError((await client(h, 'not-a-token')).batches.list(), 401, 'token-not-valid');
    // A context the user has no part in.
    const context = await runboxError(
      (await client(h, h.tokens.alice, { context: 'globex' })).batches.list(),
      401,
      'token-not-valid',
    );
    expect(context.message).toMatch(/IB-Context "globex"/);

    // Nothing listening: status 0, network-error, after the bounded retries (GET is idempotent).
    const port = await closedPort();
    const { fetch, sent } = recordingFetch();
    const unreachable = await runboxError(
      new Runbox({
        apiRoot: `http://127.0.0.1:${port}/api`,
        token: h.tokens.alice,
        maxRetries: 2,
        fetch,
      }).batches.list(),
      0,
      'network-error',
    );
    expect(unreachable.message).toMatch(/ECONNREFUSED/);
    expect(unreachable.cause).toBeInstanceOf(TypeError);
    expect(unreachable.requestId).toBeUndefined();
    expect(sent).toHaveLength(3);
  });

  it('retries a 429, honouring Retry-After, and throws rate-limit-exceeded without retries', async () => {
    h = await startHarness(backend, { RUNBOX_RATE_LIMIT_RATE: '1', RUNBOX_RATE_LIMIT_BURST: '2' });
    const { fetch, sent } = recordingFetch();
    const runbox = await client(h, h.tokens.alice, { fetch });
    // Three at once against a burst of two: at least one is refused, waits and gets through.
    const lists = await Promise.all([1, 2, 3].map(() => runbox.batches.list()));
    expect(lists).toEqual([{ batches: [] }, { batches: [] }, { batches: [] }]);
    const refused = sent.filter((s) => s.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused)
      expect(Number(r.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sent.filter((s) => s.status === 200)).toHaveLength(3);

    // Uploads from files on disk are retried too (the file is read again): robot's own bucket
    // of two, one taken by the batch, so one of the two uploads is refused first.
    const uploads = recordingFetch();
    const robot = await client(h, h.tokens.robot, { fetch: uploads.fetch });
    const { id } = await robot.batches.create({ name: 'uploads', workspace: 'shared' });
    const paths = [1, 2].map((i) => {
      const path = join(tmp, `file ${i}.txt`);
      writeFileSync(path, `file number ${i}`);
      return path;
    });
    await Promise.all(paths.map((path, i) => robot.batches.addFile(id, `path ${i + 1}.txt`, path)));
    expect(uploads.sent.filter((s) => s.status === 429).length).toBeGreaterThanOrEqual(1);
    expect(uploads.sent.filter((s) => s.status === 204)).toHaveLength(2);
    for (const i of [1, 2]) {
      expect((await storedBatchFile(h, id, `path ${i}.txt`))?.bytes.toString()).toBe(
        `file number ${i}`,
      );
    }

    // Bob's own bucket, no retries: the calls past the burst fail with the server's error.
    const bob = await client(h, h.tokens.bob, { maxRetries: 0 });
    const settled = await Promise.allSettled([1, 2, 3, 4].map(() => bob.batches.list()));
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => s.reason as unknown);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const e of failures) {
      expect(e).toBeInstanceOf(RunboxError);
      expect(e).toMatchObject({ status: 429, type: 'rate-limit-exceeded' });
      expect((e as RunboxError).requestId).toEqual(expect.any(String));
    }
  });

  it('retries a dropped connection for idempotent calls only', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const batch_id = await batchOf(runbox, { 'a.txt': 'a' });

    /** Sends each request matching `drop` to the server once, then loses its response. */
    const dropping = (drop: (method: string, path: string) => boolean) => {
      const dropped = new Set<string>();
      return recordingFetch(async ({ method, path }, real) => {
        const key = `${method} ${path}`;
        if (!drop(method, path) || dropped.has(key)) return undefined;
        dropped.add(key);
        const res = await real();
        await res.body?.cancel();
        throw connectionReset();
      });
    };

    // A GET: retried, and answered.
    const get = dropping((m) => m === 'GET');
    const reader = await client(h, h.tokens.alice, { fetch: get.fetch });
    expect((await reader.batches.get(batch_id)).id).toBe(batch_id);
    expect(get.sent.map((s) => s.status)).toEqual(['threw', 200]);

    // A POST without an idempotency key: not retried (the server may have acted on it).
    const post = dropping((m) => m === 'POST');
    const writer = await client(h, h.tokens.alice, { fetch: post.fetch });
    const lost = await runboxError(writer.batches.create({ name: 'once' }), 0, 'network-error');
    expect(lost.message).toMatch(/ECONNRESET/);
    expect(post.sent).toHaveLength(1);
    // It did act: one batch, not two.
    const named = (await runbox.batches.list()).batches.filter((b) => b.name === 'once');
    expect(named).toHaveLength(1);

    // A POST with an idempotency key: retried, and the key makes it one run.
    const keyed = dropping((m, p) => m === 'POST' && p === '/api/v2/apps/runs');
    const starter = await client(h, h.tokens.alice, { fetch: keyed.fetch });
    const run = await starter.apps.runs.create({ app_id, batch_id }, { idempotencyKey: 'k-1' });
    expect(keyed.sent.map((s) => s.status)).toEqual(['threw', 200]);
    expect((await runbox.apps.runs.list({ app_id })).runs.map((r) => r.id)).toEqual([run.id]);
    expect((await runbox.apps.runs.wait(run.id)).status).toBe('COMPLETE');

    // A PUT of bytes is sent again; a PUT of a stream cannot be, and is not.
    const put = dropping((m) => m === 'PUT');
    const uploader = await client(h, h.tokens.alice, { fetch: put.fetch });
    await uploader.batches.addFile(batch_id, 'b.txt', enc('bytes, sent twice'));
    expect(put.sent.map((s) => s.status)).toEqual(['threw', 204]);
    expect((await storedBatchFile(h, batch_id, 'b.txt'))?.bytes.toString()).toBe(
      'bytes, sent twice',
    );
    // A file on disk is read again for the second attempt.
    const path = join(tmp, 'c.txt');
    writeFileSync(path, 'a file on disk, read twice');
    await uploader.batches.addFile(batch_id, 'c.txt', path);
    expect(put.sent.filter((s) => s.path.endsWith('/c.txt')).map((s) => s.status)).toEqual([
      'threw',
      204,
    ]);
    expect((await storedBatchFile(h, batch_id, 'c.txt'))?.bytes.toString()).toBe(
      'a file on disk, read twice',
    );
    // A caller's stream can be read only once: the call fails rather than sending half a file.
    await runboxError(
      uploader.batches.addFile(batch_id, 'd.txt', { stream: chunked(enc('once only')), size: 9 }),
      0,
      'network-error',
    );
    expect(put.sent.filter((s) => s.path.endsWith('/d.txt'))).toHaveLength(1);

    // The API root may end in a slash.
    const slashed = await client(h, h.tokens.alice, { apiRoot: `${await apiRoot(h)}/` });
    expect((await slashed.batches.get(batch_id)).id).toBe(batch_id);
  });

  it('multipart: a part whose response is lost is sent again and the file commits whole', async () => {
    h = await startHarness(backend, { RUNBOX_PART_BYTES: String(PART) });
    let dropped = false;
    const { fetch, sent } = recordingFetch(async ({ method, path }, real) => {
      if (dropped || method !== 'PUT' || !path.endsWith('/parts/2')) return undefined;
      dropped = true;
      const res = await real();
      await res.body?.cancel();
      throw connectionReset();
    });
    const runbox = await client(h, h.tokens.alice, { fetch });
    const { id } = await runbox.batches.create({ name: 'scans' });
    const data = bytes(BIG, 11);
    await runbox.batches.addFile(id, 'big.bin', data);
    expect(sent.filter((s) => s.path.endsWith('/parts/2')).map((s) => s.status)).toEqual([
      'threw',
      201,
    ]);
    expect((await storedBatchFile(h, id, 'big.bin'))?.bytes.equals(data)).toBe(true);
  });
});

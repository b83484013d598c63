/**
 * The SDK against a real Runbox on each backend: runs (create, status, list, results across
 * pages, logs, events, delete) and `wait` resolving on each resting state, following events or
 * polling when the stream fails, giving up on timeouts and aborts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  RunboxError,
  RunboxTimeoutError,
  type Run,
  type RunEvent,
} from '../../client/src/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';
import { nodeApp } from '../runs/test-apps.js';
import { client, collect, connectionReset, recordingFetch, signal } from './sdk-helpers.js';
import {
  rejection,
  runboxError,
  statesOf,
  publishProbe,
  batchOf,
  gatedRun,
} from './sdk-fixtures.js';

describeEachBackend('SDK: runs', (backend) => {
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

  it('runs: create (idempotent), status, list, wait on COMPLETE following events, results across pages, logs, events, delete', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const names = Array.from({ length: 24 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    const files = Object.fromEntries(names.map((n, i) => [n, 'w '.repeat(i + 1)]));
    const { app_id, batch_id, gate, run, open } = await gatedRun(runbox, tmp, {
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
    const { run, open } = await gatedRun(runbox, tmp, { 'gate.txt': 'a b c' });
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
    const second = await gatedRun(runbox, tmp, { 'gate.txt': 'x' }, done.app_id!);
    const viaProxy = await client(h, h.tokens.alice, { fetch: bad.fetch });
    const waiting = viaProxy.apps.runs.wait(second.run.id, { pollMs: 20 });
    await until('wait to try the events stream', () =>
      bad.sent.some((s) => s.status === 502) ? true : undefined,
    );
    second.open();
    expect((await waiting).status).toBe('COMPLETE');
  });

  // ---- deployments, secrets, retention, files ----
});

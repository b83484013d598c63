/**
 * Cancelling and timing out (SPEC §3): a queued run is cancelled at once; a running one asks
 * the app to stop (the app sees the abort signal) and ends CANCELLED; a finished run cannot be
 * cancelled; a run past its timeout is stopped, killed after the grace period, and FAILED with
 * a message saying it timed out.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  expectError,
  getLogs,
  getRun,
  listRuns,
  matching,
  publishOk,
  results,
  startRunOk,
  type RunObject,
  waitForLog,
  waitForRun,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

describeEachBackend('cancel and timeout', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const cancel = (token: string, id: string) =>
    h.as(token, { method: 'POST', url: `/api/v2/apps/runs/${id}/cancel` });

  it('cancels a queued run at once, and a second cancel is a conflict', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    expect(run).toMatchObject({ status: 'RUNNING', finish_timestamp: null });
    expect(run.msg).toMatch(/queued/i);

    const res = await cancel(h.tokens.bob, run.id);
    expect(res.statusCode).toBe(200);
    const cancelled = res.json<RunObject>();
    expect(cancelled).toMatchObject({ id: run.id, status: 'CANCELLED' });
    expect(cancelled.finish_timestamp).toBeGreaterThanOrEqual(run.start_timestamp);
    expect((await getRun(h, h.tokens.alice, run.id)).json()).toEqual(cancelled);
    expect(await getLogs(h, h.tokens.alice, run.id)).toMatch(
      /\[status\] cancelled: Cancelled by bob/,
    );

    const again = await cancel(h.tokens.alice, run.id);
    expect(expectError(again, 409, 'conflict')).toMatch(/already ended/);
    expect((await getRun(h, h.tokens.alice, run.id)).json()).toEqual(cancelled);

    const unknown = await cancel(h.tokens.alice, '0190aaaa-0000-7000-8000-000000000000');
    expectError(unknown, 404, 'record-not-found');
    const otherOrg = await cancel(h.tokens.eve, run.id);
    expectError(otherOrg, 404, 'record-not-found');
  });

  it('cancels a running run: the app sees the abort, logs it, and the run ends CANCELLED', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'slow.txt': 'zzz' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    await waitForLog(h, h.tokens.alice, run.id, 'started slow.txt');

    const res = await cancel(h.tokens.alice, run.id);
    expect(res.statusCode).toBe(200);
    const cancelling = res.json<RunObject>();
    // Still RUNNING on the AI Hub wire (it has no CANCELLING), the message says what is going on.
    expect(['RUNNING', 'CANCELLED']).toContain(cancelling.status);
    expect(cancelling.msg).toMatch(/cancel/i);

    const done = await waitForRun(h, h.tokens.alice, run.id);
    expect(done.status).toBe('CANCELLED');
    const log = await getLogs(h, h.tokens.alice, run.id);
    expect(log).toContain('abort seen by slow.txt: The run was cancelled.');
    expect(log).toMatch(/\[status\] cancelling: Cancellation requested by alice/);
    expect(log).toMatch(/\[status\] cancelled:/);
    const file = (await results(h, h.tokens.alice, run.id)).files[0]!;
    expect(file.documents[0]!.fields.map((f) => [f.value, f.error_msg])).toEqual([
      ['ERROR', 'The run was cancelled.'],
      ['ERROR', 'The run was cancelled.'],
    ]);
    expect(await listRuns(h, h.tokens.alice, '?status=CANCELLED')).toEqual([done]);

    const late = await cancel(h.tokens.alice, run.id);
    expectError(late, 409, 'conflict');
  });

  it('refuses to cancel a completed or failed run', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    for (const [file, status] of [
      ['fine.txt', 'COMPLETE'],
      ['throw.txt', 'FAILED'],
    ] as const) {
      const batch = await createBatch(h, h.tokens.alice, { [file]: 'x' });
      const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
      const done = await waitForRun(h, h.tokens.alice, run.id);
      expect(done.status).toBe(status);
      expectError(await cancel(h.tokens.alice, run.id), 409, 'conflict');
      expect((await getRun(h, h.tokens.alice, run.id)).json()).toEqual(done);
    }
  });

  it('stops a run past its timeout: the hanging app is killed and the run FAILED as timed out', async () => {
    h = await startHarness(backend, { RUNBOX_CANCEL_GRACE_MS: '100' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'hang.txt': 'x', 'ok.txt': 'a b' });
    const run = await startRunOk(h, h.tokens.alice, {
      app_id,
      batch_id: batch,
      settings: { runtime_config: { timeout_seconds: 1 } },
    });
    const done = await waitForRun(h, h.tokens.alice, run.id);
    expect(done.status).toBe('FAILED');
    expect(done.msg).toMatch(/timed out/);
    const files = (await results(h, h.tokens.alice, run.id)).files;
    const hang = files.find((f) => f.original_file_name === 'hang.txt')!;
    expect(hang.documents[0]!.fields[0]).toMatchObject({
      value: 'ERROR',
      error_msg: 'The file timed out.',
    });
    const ok = files.find((f) => f.original_file_name === 'ok.txt')!;
    expect(ok.documents[0]!.fields[0]).toMatchObject({ field_name: 'word_count', value: '2' });
    const log = await getLogs(h, h.tokens.alice, run.id);
    expect(log).toContain('hanging on hang.txt');
    expect(log).toMatch(/did not stop within 100 ms; killing its process/);

    // The app's pool recovers: the next run of the same version completes.
    const next = await createBatch(h, h.tokens.alice, { 'after.txt': 'x' });
    const again = await startRunOk(h, h.tokens.alice, { app_id, batch_id: next });
    expect((await waitForRun(h, h.tokens.alice, again.id)).status).toBe('COMPLETE');
  });

  it('the manifest timeout applies when the run names none', async () => {
    h = await startHarness(backend, { RUNBOX_CANCEL_GRACE_MS: '100' });
    const { app_id } = await publishOk(
      h,
      h.tokens.alice,
      nodeApp('quick', '1.0.0', { timeout_seconds: 1 }),
    );
    const batch = await createBatch(h, h.tokens.alice, { 'hang.txt': 'x' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    const done = await waitForRun(h, h.tokens.alice, run.id);
    expect(done).toMatchObject({
      status: 'FAILED',
      msg: matching(/timed out after 1 s/),
    });
  });
});

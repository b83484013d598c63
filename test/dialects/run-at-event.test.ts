/**
 * Every webhook body shows the run as it was when its event happened, though the notification
 * job reads the run later: a deployment's (AI Hub) and a run's own (Apify, PraisonAI) alike.
 */
import { describe, expect, it } from 'vitest';
import { runAtEvent } from '../../src/engine/webhooks/run-notifications.js';
import { toApifyRun } from '../../src/http/apify/apify-views.js';
import { toAihubRun } from '../../src/services/run-views.js';
import type { Run } from '../../src/store/schema.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const finished: Run = {
  id: 'r1',
  org_id: 'o',
  app_id: 'a',
  app_version: '1.0.0',
  deployment_id: 'd',
  created_by: 'alice',
  batch_id: 1,
  input_dir: null,
  input_prefix: 'batches/1',
  output_workspace: null,
  output_dir: null,
  settings: '{}',
  tags: null,
  state: 'complete',
  msg: 'Done over 1 file.',
  timeout_ms: 60_000,
  file_count: 1,
  files_failed: 0,
  lost_leases: 0,
  created_at: T0,
  started_at: T0 + 1000,
  finished_at: T0 + 2000,
  review_completed: 0,
  deletion_job_id: null,
  retention_applied_at: null,
  status_message: 'All good',
  status_message_terminal: 1,
  resurrect_count: 0,
  webhooks: null,
};

describe('runAtEvent', () => {
  it('leaves a run that is still in the event’s state as it is', () => {
    expect(runAtEvent(finished, { own: 'complete' }, T0 + 5000)).toBe(finished);
    expect(runAtEvent(finished, { deployment: 'run.completed' }, T0 + 5000)).toBe(finished);
    const timedOut = { ...finished, state: 'timed_out' as const };
    expect(runAtEvent(timedOut, { deployment: 'run.failed' }, T0)).toBe(timedOut);
  });

  it('shows a finished run as created (Apify READY, not finished) for ACTOR.RUN.CREATED', () => {
    const then = runAtEvent(finished, { own: 'created' }, T0);
    expect(toApifyRun(then, T0 + 5000)).toMatchObject({
      status: 'READY',
      finishedAt: null,
      statusMessage: 'The run is queued.',
    });
    expect(then.started_at).toBeNull();
    expect(runAtEvent(finished, { own: 'resurrected' }, T0 + 9000).state).toBe('queued');
  });

  it('shows a run that moved on in the deployment event’s state, with that state’s message', () => {
    expect(
      toAihubRun(runAtEvent(finished, { deployment: 'run.started' }, T0 + 1000)),
    ).toMatchObject({ status: 'RUNNING', msg: 'The run is running.', finish_timestamp: null });
    // Resurrected before its completion was sent: still shown complete, finished at the event.
    const again = { ...finished, state: 'running' as const, finished_at: null };
    expect(toAihubRun(runAtEvent(again, { deployment: 'run.completed' }, T0 + 2000))).toMatchObject(
      { status: 'COMPLETE', msg: 'The run completed.', finish_timestamp: (T0 + 2000) * 1_000_000 },
    );
    expect(runAtEvent(again, { own: 'failed' }, T0 + 3000)).toMatchObject({
      state: 'failed',
      finished_at: T0 + 3000,
      status_message: null,
    });
  });
});

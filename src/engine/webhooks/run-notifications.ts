/**
 * Which run transitions notify a deployment's webhooks, as durable jobs written in the same
 * transaction as the transition (so a committed transition always notifies, and a rolled-back
 * one never does). A `notify-run` job later fans out to one `deliver-webhook` job per target.
 */
import type { WebhookEventType } from '../../contract/aihub/deployments.js';
import type { RunState } from '../../domain/run-state.js';
import type { NewJob, Run } from '../../store/schema.js';
import { newJob } from '../jobs/new-job.js';

const EVENT_OF: Partial<Record<RunState, WebhookEventType>> = {
  running: 'run.started',
  complete: 'run.completed',
  failed: 'run.failed',
  timed_out: 'run.failed',
  cancelled: 'run.cancelled',
  stopped_at_checkpoint: 'run.stopped_at_checkpoint',
};

/** The notification job for a run entering `state`, or undefined when nobody listens. */
export function notificationJob(
  run: Pick<Run, 'id' | 'org_id' | 'deployment_id'>,
  state: RunState,
  at: number,
  eventId: string,
): NewJob | undefined {
  const event = EVENT_OF[state];
  if (run.deployment_id === null || event === undefined) return undefined;
  return newJob(
    'notify-run',
    { runId: run.id, deploymentId: run.deployment_id, event, eventId, at },
    { id: eventId, orgId: run.org_id, now: at, maxAttempts: 5 },
  );
}

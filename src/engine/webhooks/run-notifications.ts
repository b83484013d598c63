/**
 * Which run transitions notify webhooks (a deployment's, and the run's own), as durable jobs written in the same
 * transaction as the transition (so a committed transition always notifies, and a rolled-back
 * one never does). A `notify-run` job later fans out to one `deliver-webhook` job per target.
 */
import type { WebhookEventType } from '../../contract/aihub/deployments.js';
import type { RunState } from '../../domain/run-state.js';
import type { NewJob, Run } from '../../store/schema.js';
import { newJob } from '../jobs/new-job.js';
import { runWebhookEventOf, runWebhooksFor } from './run-webhooks.js';

const EVENT_OF: Partial<Record<RunState, WebhookEventType>> = {
  running: 'run.started',
  complete: 'run.completed',
  failed: 'run.failed',
  timed_out: 'run.failed',
  cancelled: 'run.cancelled',
  stopped_at_checkpoint: 'run.stopped_at_checkpoint',
};

/**
 * The notification job for a run entering `state` (or being created, or resurrected), or
 * undefined when nobody listens: neither its deployment's webhooks nor its own.
 */
export function notificationJob(
  run: Pick<Run, 'id' | 'org_id' | 'deployment_id' | 'webhooks'>,
  state: RunState | 'created' | 'resurrected',
  at: number,
  eventId: string,
): NewJob | undefined {
  const special = state === 'created' || state === 'resurrected';
  const event = special ? undefined : EVENT_OF[state];
  const own = special ? state : runWebhookEventOf(state);
  const forDeployment = run.deployment_id !== null && event !== undefined;
  if (!forDeployment && runWebhooksFor(run.webhooks, own).length === 0) return undefined;
  return newJob(
    'notify-run',
    {
      runId: run.id,
      deploymentId: run.deployment_id,
      ...(event !== undefined ? { event } : {}),
      ...(own !== undefined ? { runEvent: own } : {}),
      eventId,
      at,
    },
    { id: eventId, orgId: run.org_id, now: at, maxAttempts: 5 },
  );
}

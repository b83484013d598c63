/**
 * Which run transitions notify webhooks (a deployment's, and the run's own), as durable jobs written in the same
 * transaction as the transition (so a committed transition always notifies, and a rolled-back
 * one never does). A `notify-run` job later fans out to one `deliver-webhook` job per target.
 */
import type { WebhookEventType } from '../../contract/aihub/deployments.js';
import type { RunState } from '../../domain/run-state.js';
import type { NewJob, Run } from '../../store/schema.js';
import { newJob } from '../jobs/new-job.js';
import { runWebhookEventOf, runWebhooksFor, type RunWebhookEvent } from './run-webhooks.js';

/** The states a run can be in when each deployment event is about it (as AI Hub shows it). */
const STATES_AT_EVENT: Record<WebhookEventType, readonly RunState[]> = {
  'run.started': ['running', 'queued', 'cancelling'],
  'run.completed': ['complete'],
  'run.failed': ['failed', 'timed_out'],
  'run.cancelled': ['cancelled'],
  'run.stopped_at_checkpoint': ['stopped_at_checkpoint'],
};

/** The same for a run's own webhooks' events. */
const STATES_AT_OWN_EVENT: Record<RunWebhookEvent, readonly RunState[]> = {
  created: ['queued'],
  resurrected: ['queued'],
  complete: ['complete'],
  failed: ['failed'],
  timed_out: ['timed_out'],
  cancelled: ['cancelled'],
};

/**
 * The run as it was when the event happened, for every webhook body (a deployment's and the
 * run's own, in any dialect). The notification job reads the run later, by which time it may
 * have moved on (a short run is already complete when its start or creation is sent, a
 * checkpointed run may have been resumed, a finished one resurrected): such a run is shown in
 * the event's state with that state's own message, unfinished for a start or a (re)queueing,
 * finished at the event's time otherwise.
 */
export function runAtEvent(
  run: Run,
  event: { deployment: WebhookEventType } | { own: RunWebhookEvent },
  at: number,
): Run {
  const states =
    'deployment' in event ? STATES_AT_EVENT[event.deployment] : STATES_AT_OWN_EVENT[event.own];
  if (states.includes(run.state)) return run;
  const state = states[0]!;
  const unfinished = state === 'running' || state === 'queued';
  return {
    ...run,
    state,
    msg: null,
    status_message: null,
    status_message_terminal: 0,
    finished_at: unfinished ? null : at,
    ...(state === 'queued' ? { started_at: null } : {}),
  };
}

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

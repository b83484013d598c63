import type { Logger } from 'pino';
import type { WebhookEventType } from '../../contract/aihub/deployments.js';
import type { AihubRunStatus } from '../../domain/run-state.js';
import type { Clock } from '../../domain/sources.js';
import { toAihubRun, type AihubRun } from '../../services/run-views.js';
import type { Deployment } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { JobHandlers } from '../jobs/job-handlers.js';
import { newJob } from '../jobs/new-job.js';
import { deliver } from './webhook-delivery.js';

/** Attempts per delivery (SPEC §8: retried with backoff up to 7 times). */
export const WEBHOOK_ATTEMPTS = 7;

export interface WebhookDeps {
  store: Store;
  clock: Clock;
  /** Opens a deployment's signing secret. */
  webhookSecret(d: Deployment): string;
  timeoutMs: number;
  refusePrivateNetworks: boolean;
  /** Wakes job runners after delivery jobs were added. */
  onEnqueued(): void;
  log: Logger;
}

/** Only the origin and path of a target go into logs: its query may hold a token. */
const shown = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

/** The v2 status a run has when each event happens, and the message shown with it. */
const AT_EVENT: Record<WebhookEventType, { status: AihubRunStatus; msg: string }> = {
  'run.started': { status: 'RUNNING', msg: 'The run is running.' },
  'run.completed': { status: 'COMPLETE', msg: 'The run completed.' },
  'run.failed': { status: 'FAILED', msg: 'The run failed.' },
  'run.cancelled': { status: 'CANCELLED', msg: 'The run was cancelled.' },
  'run.stopped_at_checkpoint': {
    status: 'STOPPED_AT_CHECKPOINT',
    msg: 'The run stopped at a checkpoint for human review.',
  },
};

/**
 * The run as it was when the event happened. The notification job reads the run later, by
 * which time it may have moved on (a short run is already COMPLETE when its `run.started` is
 * sent, a checkpointed run may have been resumed): such a run is shown in the event's state,
 * unfinished for `run.started`, finished at the event's time otherwise.
 */
function runAtEvent(run: AihubRun, event: WebhookEventType, at: number): AihubRun {
  const then = AT_EVENT[event];
  if (run.status === then.status) return run;
  return {
    ...run,
    status: then.status,
    msg: then.msg,
    finish_timestamp: event === 'run.started' ? null : at * 1_000_000,
  };
}

export function webhookHandlers(
  d: WebhookDeps,
): Pick<JobHandlers, 'notify-run' | 'deliver-webhook'> {
  const runLog = async (runId: string, line: string) => {
    try {
      await d.store.runEvents.append([
        { run_id: runId, at: d.clock.now(), kind: 'log', data: JSON.stringify({ line }) },
      ]);
    } catch (err) {
      // The run may have been deleted meanwhile; the delivery itself still counts.
      d.log.debug({ err, runId }, 'could not log a webhook attempt');
    }
  };

  return {
    async 'notify-run'(p) {
      const deployment = await d.store.deployments.byId(p.deploymentId);
      if (!deployment) return 'The deployment no longer exists; nobody to notify.';
      const targets = (JSON.parse(deployment.webhooks) as { url: string; events: string[] }[])
        .map((w, i) => ({ ...w, i }))
        .filter((w) => w.events.includes(p.event));
      if (targets.length === 0) return `No webhook asks for ${p.event}.`;
      const run = await d.store.runs.getById(p.runId);
      const body = JSON.stringify({
        id: p.eventId,
        type: p.event,
        created_at: new Date(p.at).toISOString(),
        deployment_id: p.deploymentId,
        run: run ? runAtEvent(toAihubRun(run), p.event, p.at) : { id: p.runId },
      });
      const now = d.clock.now();
      await d.store.transaction(async (tx) => {
        for (const t of targets) {
          await tx.jobs.enqueueOnce(
            newJob(
              'deliver-webhook',
              {
                runId: p.runId,
                deploymentId: p.deploymentId,
                url: t.url,
                eventId: p.eventId,
                event: p.event,
                body,
              },
              {
                id: `${p.eventId}.${t.i}`,
                orgId: deployment.org_id,
                now,
                maxAttempts: WEBHOOK_ATTEMPTS,
              },
            ),
          );
        }
      });
      d.onEnqueued();
      return `Queued ${targets.length} webhook deliver${targets.length === 1 ? 'y' : 'ies'}.`;
    },

    async 'deliver-webhook'(p, { attempt, maxAttempts }) {
      const deployment = await d.store.deployments.byId(p.deploymentId);
      if (!deployment) return 'The deployment no longer exists; not delivered.';
      const result = await deliver(
        p.url,
        d.webhookSecret(deployment),
        { id: p.eventId, type: p.event, body: p.body },
        {
          timeoutMs: d.timeoutMs,
          allowPrivateNetworks: !d.refusePrivateNetworks,
          nowSeconds: Math.floor(d.clock.now() / 1000),
        },
      );
      const what = `Webhook ${p.event} to ${shown(p.url)}, attempt ${attempt} of ${maxAttempts}`;
      if (result.ok) {
        await runLog(p.runId, `${what}: delivered (HTTP ${result.status}).`);
        return `Delivered (HTTP ${result.status}).`;
      }
      const next = attempt < maxAttempts ? 'will retry' : 'giving up';
      await runLog(p.runId, `${what}: failed (${result.error}); ${next}.`);
      throw new Error(result.error);
    },
  };
}

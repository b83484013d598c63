import type { Logger } from 'pino';
import type { Clock } from '../../domain/sources.js';
import { toAihubRun } from '../../services/run-views.js';
import type { Deployment, Run } from '../../store/schema.js';
import type { JobPayloads } from '../jobs/job-payloads.js';
import { runWebhooksFor, type RunWebhook, type RunWebhookEvent } from './run-webhooks.js';
import type { Store } from '../../store/store.js';
import type { JobHandlers } from '../jobs/job-handlers.js';
import { newJob } from '../jobs/new-job.js';
import { runAtEvent } from './run-notifications.js';
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
  /** The body (and the event's name, extra headers) of a run's own webhook, in its dialect. */
  runWebhookBody(
    w: RunWebhook,
    run: Run,
    event: RunWebhookEvent,
    at: number,
  ): Promise<{ body: string; event: string; headers?: Record<string, string> }>;
  /** Wakes job runners after delivery jobs were added. */
  onEnqueued(): void;
  log: Logger;
}

/** Only the origin and path of a target go into logs: its query may hold a token. */
const shown = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

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
      const deployment = p.deploymentId
        ? await d.store.deployments.byId(p.deploymentId)
        : undefined;
      const run = await d.store.runs.getById(p.runId);
      const deliveries: (Omit<JobPayloads['deliver-webhook'], 'runId' | 'eventId'> & {
        i: number | string;
      })[] = [];
      const ofDeployment =
        deployment && p.event !== undefined
          ? (JSON.parse(deployment.webhooks) as { url: string; events: string[] }[])
              .map((w, i) => ({ ...w, i }))
              .filter((w) => w.events.includes(p.event!))
          : [];
      if (ofDeployment.length > 0) {
        const body = JSON.stringify({
          id: p.eventId,
          type: p.event,
          created_at: new Date(p.at).toISOString(),
          deployment_id: p.deploymentId,
          run: run ? toAihubRun(runAtEvent(run, { deployment: p.event! }, p.at)) : { id: p.runId },
        });
        for (const t of ofDeployment) {
          deliveries.push({
            deploymentId: p.deploymentId,
            url: t.url,
            event: p.event!,
            body,
            i: t.i,
          });
        }
      }
      // The run's own webhooks (signed with the deployment's secret when it has one).
      if (run) {
        for (const w of runWebhooksFor(run.webhooks, p.runEvent)) {
          const then = runAtEvent(run, { own: p.runEvent! }, p.at);
          const rendered = await d.runWebhookBody(w, then, p.runEvent!, p.at);
          deliveries.push({
            deploymentId: deployment ? p.deploymentId : null,
            url: w.url,
            ...rendered,
            i: `r${w.i}`,
          });
        }
      }
      if (deliveries.length === 0) return 'No webhook asks for this event.';
      const now = d.clock.now();
      await d.store.transaction(async (tx) => {
        for (const { i, ...delivery } of deliveries) {
          await tx.jobs.enqueueOnce(
            newJob(
              'deliver-webhook',
              { runId: p.runId, eventId: p.eventId, ...delivery },
              {
                id: `${p.eventId}.${i}`,
                orgId: run?.org_id ?? deployment?.org_id ?? null,
                now,
                maxAttempts: WEBHOOK_ATTEMPTS,
              },
            ),
          );
        }
      });
      d.onEnqueued();
      return `Queued ${deliveries.length} webhook deliver${deliveries.length === 1 ? 'y' : 'ies'}.`;
    },

    async 'deliver-webhook'(p, { attempt, maxAttempts }) {
      const deployment = p.deploymentId ? await d.store.deployments.byId(p.deploymentId) : null;
      if (deployment === undefined) return 'The deployment no longer exists; not delivered.';
      const result = await deliver(
        p.url,
        deployment ? d.webhookSecret(deployment) : undefined,
        { id: p.eventId, type: p.event, body: p.body, headers: p.headers },
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

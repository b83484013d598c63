import type { WebhookEventType } from '../../contract/aihub/deployments.js';
import type { JobKind } from '../../contract/job-states.js';
import type { RunWebhookEvent } from '../webhooks/run-webhooks.js';

/** What each kind of job carries; stored as JSON in the job row. */
export interface JobPayloads {
  /** Remove every file of the batch, abort its open uploads, then the batch row. */
  'delete-batch': { batchId: number; prefix: string };
  /** Remove one stored object (a batch file's version). */
  'delete-batch-file': { key: string };
  /** Remove a file or a whole folder of a workspace drive. */
  'delete-path': { key: string };
  /**
   * Remove the requested parts of a finished run: the batch it processed (already hidden) or
   * its input snapshot, its outputs, its log lines, and last its record and results.
   */
  'delete-run': {
    runId: string;
    batchId: number | null;
    inputPrefix: string | null;
    outputPrefix: string | null;
    logs: boolean;
    record: boolean;
  };
  /** Tell the webhooks that asked for the event, the deployment's and the run's own (one delivery job each). */
  'notify-run': {
    runId: string;
    deploymentId: string | null;
    /** The deployment's event, when its webhooks may want it. */
    event?: WebhookEventType;
    /** The event for the run's own webhooks, when it is one they may want. */
    runEvent?: RunWebhookEvent;
    eventId: string;
    at: number;
  };
  /** POST one signed event to one webhook target; retried with backoff. */
  'deliver-webhook': {
    runId: string;
    /** Signed with this deployment's secret; null for a run's own webhook outside one. */
    deploymentId: string | null;
    url: string;
    eventId: string;
    /** The event's name in the target's dialect (`run.completed`, `ACTOR.RUN.SUCCEEDED`, …). */
    event: string;
    body: string;
    /** Extra request headers (Apify's `headersTemplate`). */
    headers?: Record<string, string>;
  };
}

export type JobPayload<K extends JobKind> = JobPayloads[K];

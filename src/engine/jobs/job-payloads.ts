import type { WebhookEventType } from '../../contract/aihub/deployments.js';
import type { JobKind } from '../../contract/job-states.js';

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
  /** Tell the deployment's webhooks that asked for `event` (one delivery job each). */
  'notify-run': {
    runId: string;
    deploymentId: string;
    event: WebhookEventType;
    eventId: string;
    at: number;
  };
  /** POST one signed event to one webhook target; retried with backoff. */
  'deliver-webhook': {
    runId: string;
    deploymentId: string;
    url: string;
    eventId: string;
    event: WebhookEventType;
    body: string;
  };
}

export type JobPayload<K extends JobKind> = JobPayloads[K];

/**
 * What a run's own webhook receives, in the dialect that asked for it: Apify's event payload
 * (`{userId, createdAt, eventType, eventData, resource}`, or the `payloadTemplate` filled in)
 * and PraisonAI's job status object. The delivery jobs call this; the shapes stay with the
 * dialects' views.
 */
import type { RunWebhook, RunWebhookEvent } from '../engine/webhooks/run-webhooks.js';
import type { Run } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { toApifyRun } from './apify/apify-views.js';
import { timesOf, toStatusResponse } from './praison/praison-views.js';

/** Apify's event types, by what happened to the run. */
export const APIFY_EVENT_OF: Record<RunWebhookEvent, string> = {
  created: 'ACTOR.RUN.CREATED',
  complete: 'ACTOR.RUN.SUCCEEDED',
  failed: 'ACTOR.RUN.FAILED',
  timed_out: 'ACTOR.RUN.TIMED_OUT',
  cancelled: 'ACTOR.RUN.ABORTED',
  resurrected: 'ACTOR.RUN.RESURRECTED',
};

/** Fills `{{name}}` / `{{a.b}}` placeholders with the JSON of the value (`null` if none). */
export function fillTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g, (_, path: string) => {
    let v: unknown = vars;
    for (const k of path.split('.')) {
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    }
    return JSON.stringify(v ?? null);
  });
}

/** The extra headers a filled-in `headersTemplate` names: a JSON object of strings, else none. */
export function headersOf(filled: string): Record<string, string> | undefined {
  try {
    const parsed: unknown = JSON.parse(filled);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : JSON.stringify(v),
      ]),
    );
  } catch {
    return undefined;
  }
}

export function runWebhookBodies(store: Store) {
  return async (
    w: RunWebhook,
    run: Run,
    event: RunWebhookEvent,
    at: number,
  ): Promise<{ body: string; event: string; headers?: Record<string, string> }> => {
    switch (w.dialect) {
      case 'apify': {
        const eventType = APIFY_EVENT_OF[event];
        const vars = {
          userId: run.created_by,
          createdAt: new Date(at).toISOString(),
          eventType,
          eventData: { actorId: run.app_id, actorRunId: run.id },
          resource: toApifyRun(run, at),
        };
        const headers = w.headersTemplate
          ? headersOf(fillTemplate(w.headersTemplate, vars))
          : undefined;
        return {
          event: eventType,
          body: w.payloadTemplate ? fillTemplate(w.payloadTemplate, vars) : JSON.stringify(vars),
          ...(headers ? { headers } : {}),
        };
      }
      case 'praison': {
        const status = toStatusResponse(run, await store.runs.fileCounts(run.id));
        return {
          event: `job.${status.status}`,
          body: JSON.stringify({ ...status, duration_seconds: timesOf(run).duration_seconds }),
        };
      }
      default: {
        const never: never = w.dialect;
        throw new Error(`unknown webhook dialect ${String(never)}`);
      }
    }
  };
}

/**
 * A run's own webhooks, given with the request that started it (Apify's `webhooks` query
 * parameter, PraisonAI's `webhook_url`) and stored on the run as JSON. They are delivered by
 * the same jobs as a deployment's webhooks; each says which dialect's body it gets.
 */
import { invalidInput } from '../../contract/errors.js';
import type { RunState } from '../../domain/run-state.js';
import { checkWebhookUrl } from './webhook-delivery.js';

/** What a run's own webhook can ask for: its creation, reaching a finished state, resurrection. */
export const RUN_WEBHOOK_EVENTS = [
  'created',
  'complete',
  'failed',
  'timed_out',
  'cancelled',
  'resurrected',
] as const;
export type RunWebhookEvent = (typeof RUN_WEBHOOK_EVENTS)[number];

export interface RunWebhook {
  /** Whose payload it gets. */
  dialect: 'apify' | 'praison';
  url: string;
  events: RunWebhookEvent[];
  /** Apify: the body, with `{{variable}}` placeholders. */
  payloadTemplate?: string | undefined;
  /** Apify: a JSON object of extra headers, with the same placeholders. */
  headersTemplate?: string | undefined;
}

/** The event a transition into `state` is for a run's own webhooks, if any. */
export function runWebhookEventOf(state: RunState): RunWebhookEvent | undefined {
  switch (state) {
    case 'complete':
    case 'failed':
    case 'timed_out':
    case 'cancelled':
      return state;
    case 'queued':
    case 'running':
    case 'cancelling':
    case 'stopped_at_checkpoint':
      return undefined;
    default: {
      const never: never = state;
      throw new Error(`unknown run state ${String(never)}`);
    }
  }
}

/** A run's own webhooks: their URLs' form (where they lead is checked at each delivery). */
export function checkRunWebhooks(webhooks: RunWebhook[]): void {
  for (const [i, w] of webhooks.entries()) {
    const problem = checkWebhookUrl(w.url);
    if (problem) throw invalidInput(`Webhook ${i + 1}: ${problem}.`);
  }
}

export function parseRunWebhooks(json: string | null): RunWebhook[] {
  return json === null ? [] : (JSON.parse(json) as RunWebhook[]);
}

/** The run's own webhooks that asked for `event`, with their index on the run. */
export function runWebhooksFor(
  json: string | null,
  event: RunWebhookEvent | undefined,
): (RunWebhook & { i: number })[] {
  if (event === undefined) return [];
  return parseRunWebhooks(json)
    .map((w, i) => ({ ...w, i }))
    .filter((w) => w.events.includes(event));
}

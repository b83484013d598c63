/**
 * Apify's ad-hoc webhooks: the `webhooks` query parameter of a run start, a Base64-encoded JSON
 * array of `{eventTypes, requestUrl, payloadTemplate?, headersTemplate?}`, checked here and kept
 * on the run as its own webhooks (delivered by the webhook jobs, with Apify's payload).
 */
import { invalidInput } from '../../contract/errors.js';
import {
  checkRunWebhooks,
  type RunWebhook,
  type RunWebhookEvent,
} from '../../engine/webhooks/run-webhooks.js';
import { APIFY_EVENT_OF, fillTemplate, headersOf } from '../run-webhook-bodies.js';

/** At most this many webhooks on one run. */
export const MAX_RUN_WEBHOOKS = 10;
const MAX_TEMPLATE_CHARS = 64 * 1024;

const EVENT_OF_APIFY = Object.fromEntries(
  Object.entries(APIFY_EVENT_OF).map(([event, apify]) => [apify, event as RunWebhookEvent]),
);

/** Fields Apify's WebhookRepresentation has that Runbox accepts without acting on them. */
const IGNORED = [
  'shouldInterpolateStrings',
  'idempotencyKey',
  'ignoreSslErrors',
  'doNotRetry',
  'description',
];

export function parseApifyWebhooks(param: string | undefined): RunWebhook[] {
  if (param === undefined || param === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(param, 'base64').toString('utf8'));
  } catch {
    throw invalidInput('Query parameter "webhooks" must be a Base64-encoded JSON array.');
  }
  if (!Array.isArray(parsed)) {
    throw invalidInput('Query parameter "webhooks" must be a Base64-encoded JSON array.');
  }
  if (parsed.length > MAX_RUN_WEBHOOKS) {
    throw invalidInput(`A run may have at most ${MAX_RUN_WEBHOOKS} webhooks.`);
  }
  const webhooks = parsed.map((w: unknown, i) => oneWebhook(w, `webhooks[${i}]`));
  checkRunWebhooks(webhooks);
  return webhooks;
}

function oneWebhook(w: unknown, where: string): RunWebhook {
  if (w === null || typeof w !== 'object' || Array.isArray(w)) {
    throw invalidInput(`${where} must be an object.`);
  }
  const o = w as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (
      !['eventTypes', 'requestUrl', 'payloadTemplate', 'headersTemplate', ...IGNORED].includes(k)
    ) {
      throw invalidInput(`Unknown field "${k}" in ${where}.`);
    }
  }
  const types = o.eventTypes;
  if (!Array.isArray(types) || types.length === 0) {
    throw invalidInput(`${where}.eventTypes must be a non-empty array.`);
  }
  const events = types.map((t) => {
    const event = typeof t === 'string' ? EVENT_OF_APIFY[t] : undefined;
    if (!event) {
      throw invalidInput(
        `${where}.eventTypes: unsupported event ${JSON.stringify(t)}; use ${Object.keys(EVENT_OF_APIFY).join(', ')}.`,
      );
    }
    return event;
  });
  if (typeof o.requestUrl !== 'string') throw invalidInput(`${where}.requestUrl must be a string.`);
  const template = (key: 'payloadTemplate' | 'headersTemplate') => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length > MAX_TEMPLATE_CHARS) {
      throw invalidInput(
        `${where}.${key} must be a string of at most ${MAX_TEMPLATE_CHARS} characters.`,
      );
    }
    return v;
  };
  const headersTemplate = template('headersTemplate');
  if (headersTemplate !== undefined && !headersOf(fillTemplate(headersTemplate, {}))) {
    throw invalidInput(`${where}.headersTemplate must be a JSON object once filled in.`);
  }
  return {
    dialect: 'apify',
    url: o.requestUrl,
    events: [...new Set(events)],
    payloadTemplate: template('payloadTemplate'),
    headersTemplate,
  };
}

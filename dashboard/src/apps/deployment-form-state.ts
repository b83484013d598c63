import type {
  CreateDeploymentRequest,
  Deployment,
  WebhookEventType,
} from '../../../client/src/index.js';

type ReviewPolicy = NonNullable<CreateDeploymentRequest['review_policy']>;

// The contract's lists (src/contract/aihub/deployments.ts) are built with TypeBox, which the
// page does not load; keyed by the contract's types, a value added there fails to compile here.
const EVENTS: Record<WebhookEventType, true> = {
  'run.started': true,
  'run.completed': true,
  'run.failed': true,
  'run.cancelled': true,
  'run.stopped_at_checkpoint': true,
};
const POLICIES: Record<ReviewPolicy, true> = {
  never: true,
  on_validation_failure: true,
  always: true,
};
export const WEBHOOK_EVENTS = Object.keys(EVENTS) as WebhookEventType[];
/** '' leaves it to the app's manifest. */
export const REVIEW_POLICIES = ['', ...Object.keys(POLICIES)] as ('' | ReviewPolicy)[];

/** A deployment as its form edits it: text fields, parsed on submit. */
export interface DeploymentForm {
  name: string;
  appId: string;
  /** '' runs the newest version. */
  version: string;
  /** '' is the caller's personal workspace. */
  workspace: string;
  /** A JSON object of custom keys. */
  customKeys: string;
  /** One `APP_SECRET_KEY=alias` a line. */
  secretKeys: string;
  reviewPolicy: '' | ReviewPolicy;
  webhooks: { url: string; events: WebhookEventType[] }[];
  /** '' is no limit. */
  concurrency: string;
}

export const EMPTY_FORM: DeploymentForm = {
  name: '',
  appId: '',
  version: '',
  workspace: '',
  customKeys: '{}',
  secretKeys: '',
  reviewPolicy: '',
  webhooks: [],
  concurrency: '',
};

export function formOf(d: Deployment): DeploymentForm {
  return {
    name: d.name,
    appId: d.app_id,
    version: d.version ?? '',
    workspace: d.workspace ?? '',
    customKeys: JSON.stringify(d.keys.custom, null, 2),
    secretKeys: Object.entries(d.keys.secret)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    reviewPolicy: d.review_policy ?? '',
    webhooks: d.webhooks.map((w) => ({ url: w.url, events: [...w.events] })),
    concurrency: d.concurrency_limit === null ? '' : String(d.concurrency_limit),
  };
}

/** The request body of a form, or the message of what is wrong with it. */
export function bodyOf(f: DeploymentForm): CreateDeploymentRequest | { error: string } {
  let custom: unknown;
  try {
    custom = JSON.parse(f.customKeys.trim() || '{}');
  } catch {
    return { error: 'Custom keys must be a JSON object.' };
  }
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) {
    return { error: 'Custom keys must be a JSON object.' };
  }
  const secret: Record<string, string> = {};
  for (const [i, line] of f.secretKeys.split('\n').entries()) {
    if (!line.trim()) continue;
    const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!m) return { error: `Secret keys line ${i + 1}: write KEY=alias.` };
    secret[m[1]!] = m[2]!;
  }
  const concurrency = f.concurrency.trim();
  if (concurrency && !/^\d+$/.test(concurrency)) {
    return { error: 'The concurrency limit is a whole number (or empty for none).' };
  }
  return {
    name: f.name.trim(),
    app_id: f.appId,
    version: f.version.trim() || null,
    workspace: f.workspace.trim() || null,
    keys: { custom: custom as Record<string, unknown>, secret },
    review_policy: f.reviewPolicy || null,
    webhooks: f.webhooks.map((w) => ({ url: w.url.trim(), events: w.events })),
    concurrency_limit: concurrency ? Number(concurrency) : null,
  };
}

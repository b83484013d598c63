/**
 * Shared by the review suites: an app whose documents break its manifest's field rules by file
 * name, the alerts it causes, and the calls a reviewer makes (results, review, corrections,
 * resume), each checked on the way.
 */
import { expect } from 'vitest';
import type { ReviewFileView, ReviewView } from '../../src/services/review-service.js';
import { expectReference } from '../conformance/reference-validator.js';
import type { Harness } from '../helpers/harness.js';
import {
  createBatch,
  getRun,
  publishOk,
  startRunOk,
  waitForRun,
  type RunObject,
} from './run-helpers.js';
import { writeApp } from './test-apps.js';

// ---- the app under review ----

export const FIELD_RULES = [
  { name: 'invoice number', type: 'TEXT', required: true, pattern: '^INV-\\d+$' },
  { name: 'total', type: 'NUMBER', required: true, min: 0, min_confidence: 0.8 },
  { name: 'currency', one_of: ['EUR', 'USD'] },
  { name: 'due date', type: 'DATE' },
];

/**
 * Returns one valid invoice, except: `pattern` → an invoice number breaking the pattern;
 * `unsure` → a total below the confidence threshold; `multi` → a valid invoice and a receipt
 * breaking min, one_of and the date type; `missing` → no invoice number at all; `smudged` →
 * a total the app could not extract (an `error`).
 */
export const REVIEW_APP_SOURCE = `
export const doc = (over = {}) => ({ class_name: 'Invoice', page_numbers: [1], fields: {
  'invoice number': 'INV-1',
  total: { value: 10.5, confidence: 0.95 },
  currency: 'EUR',
  'due date': '2026-03-01',
  ...over,
} });
export default async function (file) {
  const n = file.name;
  if (n.includes('pattern')) return [doc({ 'invoice number': 'X-12' })];
  if (n.includes('unsure')) return [doc({ total: { value: 99, confidence: 0.5 } })];
  if (n.includes('smudged')) return [doc({ total: { error: 'the total is smudged' } })];
  if (n.includes('missing')) {
    const d = doc();
    delete d.fields['invoice number'];
    return [d];
  }
  if (n.includes('multi')) {
    const bad = doc({ total: { value: -5, confidence: 0.9 }, currency: 'GBP', 'due date': '2026-02-30' });
    return [doc(), { ...bad, class_name: 'Receipt', page_numbers: [2] }];
  }
  return [doc()];
}
`;

export function reviewApp(name = 'checker', review: string = 'on_validation_failure') {
  return writeApp(
    {
      name,
      version: '1.0.0',
      runtime: 'node',
      entry: 'index.mjs',
      concurrency: 4,
      fields: FIELD_RULES,
      review,
    },
    { 'index.mjs': REVIEW_APP_SOURCE },
  );
}

/** Listed by name, so these are file indexes 0–5; 1, 2, 4 and 5 fail validation. */
export const MIXED = {
  'a-good.txt': 'a',
  'b-pattern.txt': 'b',
  'c-unsure.txt': 'c',
  'd-good.txt': 'd',
  'e-multi.txt': 'e',
  'f-missing.txt': 'f',
};
/** `final_result_pass` of each document of MIXED before review. */
export const MIXED_PASS = [[true], [false], [false], [true], [true, false], [false]];
export const GOOD = { 'a-good.txt': 'a', 'd-good.txt': 'd' };

export const PATTERN_ALERT = {
  alert_level: 'FAILURE',
  msg: 'invoice number must match the pattern /^INV-\\d+$/.',
  blocked: true,
  type: 'pattern',
};
export const CONFIDENCE_ALERT = {
  alert_level: 'FAILURE',
  msg: 'total confidence must be at least 0.8 (it is 0.5).',
  blocked: true,
  type: 'min_confidence',
};
export const MIN_ALERT = {
  alert_level: 'FAILURE',
  msg: 'total must be at least 0.',
  blocked: true,
  type: 'min',
};
export const ONE_OF_ALERT = {
  alert_level: 'FAILURE',
  msg: 'currency must be one of "EUR", "USD".',
  blocked: true,
  type: 'one_of',
};
export const REQUIRED_ALERT = {
  alert_level: 'FAILURE',
  msg: 'invoice number is required.',
  blocked: true,
  type: 'required',
};
export const DATE_ALERT = {
  alert_level: 'FAILURE',
  msg: 'due date must be a valid date.',
  blocked: true,
  type: 'type',
};
export const VALID = { valid: true, alerts: [] };
export const invalid = (...alerts: unknown[]) => ({ valid: false, alerts });

// ---- results with their optional parts ----

export interface Edit {
  timestamp: string;
  user_id: string;
  modifications: { message: string | null }[];
}

export interface Field {
  field_name: string;
  value: string;
  type: string;
  confidence?: unknown;
  validations?: { valid: boolean; alerts: unknown[] };
  edit_history?: Edit[];
}

export interface Doc {
  class_name: string | null;
  page_numbers: number[];
  fields: Field[];
  review_completed?: boolean;
  class_edit_history?: Edit[];
  validations?: { final_result_pass: boolean };
  classification_confidence?: unknown;
}

export interface Results {
  id: string;
  status: string;
  message: string | null;
  files: { original_file_name: string; documents: Doc[] }[];
  review_completed: boolean;
  has_more: boolean;
}

export const FLAG_NAMES = [
  'include_validation_results',
  'include_review_results',
  'include_confidence_scores',
] as const;
export type Flags = Record<(typeof FLAG_NAMES)[number], boolean>;

/** All 8 combinations of the three flags. */
export const FLAG_COMBINATIONS: Flags[] = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => ({
  include_validation_results: (bits & 1) !== 0,
  include_review_results: (bits & 2) !== 0,
  include_confidence_scores: (bits & 4) !== 0,
}));

export const queryOf = (flags: Partial<Flags>) => {
  const on = FLAG_NAMES.filter((n) => flags[n]).map((n) => `${n}=true`);
  return on.length === 0 ? '' : `?${on.join('&')}`;
};

export const field = (doc: Doc | undefined, name: string): Field => {
  const f = doc?.fields.find((x) => x.field_name === name);
  if (!f) throw new Error(`no field ${name} in ${JSON.stringify(doc)}`);
  return f;
};

export const reviewField = (file: ReviewFileView | undefined, doc: number, name: string) => {
  const f = file?.documents[doc]?.fields.find((x) => x.field_name === name);
  if (!f) throw new Error(`no field ${name} in document ${doc} of ${JSON.stringify(file)}`);
  return f;
};

/** A date string that is exactly what `toISOString` makes. */
export const isIsoTimestamp = (s: string) => new Date(s).toISOString() === s;

/** The calls of the review suites, against the harness `get()` returns. */
export function reviewCalls(get: () => Harness) {
  // ---- calls ----

  /** GET results, checked against the reference (strict) on the way. */
  async function resultsOf(token: string, runId: string, flags: Partial<Flags> = {}) {
    const res = await get().as(token, {
      method: 'GET',
      url: `/api/v2/apps/runs/${runId}/results${queryOf(flags)}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expectReference('getRunResults', res);
    return res.json<Results>();
  }

  const getReview = (token: string, runId: string) =>
    get().as(token, { method: 'GET', url: `/api/v2/apps/runs/${runId}/review` });

  async function reviewOf(token: string, runId: string): Promise<ReviewView> {
    const res = await getReview(token, runId);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ReviewView>();
  }

  const patchFile = (token: string, runId: string, index: number | string, payload: unknown) =>
    get().as(token, {
      method: 'PATCH',
      url: `/api/v2/apps/runs/${runId}/review/files/${index}`,
      payload: payload as object,
    });

  async function patchOk(token: string, runId: string, index: number, payload: unknown) {
    const res = await patchFile(token, runId, index, payload);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ReviewFileView>();
  }

  /** POST resume; without `payload`, with no body at all (as most clients send it). */
  const resume = (token: string, runId: string, payload?: object) =>
    get().as(token, {
      method: 'POST',
      url: `/api/v2/apps/runs/${runId}/resume`,
      ...(payload ? { payload } : {}),
    });

  async function runOf(token: string, runId: string): Promise<RunObject> {
    const res = await getRun(get(), token, runId);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<RunObject>();
  }

  /** Everything a reviewer or a results reader could see of the run. */
  async function snapshot(runId: string) {
    return {
      run: await runOf(get().tokens.alice, runId),
      review: await reviewOf(get().tokens.alice, runId),
      results: await resultsOf(get().tokens.alice, runId, {
        include_validation_results: true,
        include_review_results: true,
        include_confidence_scores: true,
      }),
    };
  }

  /** Publishes the review app, runs it over `files` as alice, and waits for it to stop. */
  async function runToCheckpoint(files: Record<string, string> = MIXED) {
    const { app_id } = await publishOk(get(), get().tokens.alice, reviewApp());
    const batch = await createBatch(get(), get().tokens.alice, files);
    const started = await startRunOk(get(), get().tokens.alice, { app_id, batch_id: batch });
    const run = await waitForRun(get(), get().tokens.alice, started.id, [
      'STOPPED_AT_CHECKPOINT',
      'COMPLETE',
      'FAILED',
      'CANCELLED',
    ]);
    expect(run.status, run.msg ?? '').toBe('STOPPED_AT_CHECKPOINT');
    return { app_id, batch, run };
  }

  // ---- the whole review ----
  async function deploy(appId: string, review_policy: string | null) {
    const res = await get().as(get().tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name: `review-${String(review_policy)}`, app_id: appId, review_policy },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  async function runDeployment(deploymentId: string, batchId: number) {
    const res = await get().as(get().tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/deployments/${deploymentId}/runs`,
      payload: { batch_id: batchId },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<RunObject>().id;
    return waitForRun(get(), get().tokens.alice, id, [
      'STOPPED_AT_CHECKPOINT',
      'COMPLETE',
      'FAILED',
      'CANCELLED',
    ]);
  }

  return {
    resultsOf,
    getReview,
    reviewOf,
    patchFile,
    patchOk,
    resume,
    runOf,
    snapshot,
    runToCheckpoint,
    deploy,
    runDeployment,
  };
}

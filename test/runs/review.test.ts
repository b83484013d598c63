/**
 * Validation and human review end to end (SPEC §8, §4.1 results, §4.2 review): an app whose
 * manifest has field rules and `review: "on_validation_failure"` runs over a batch in which some
 * files break the rules; the run stops at the checkpoint, reviewers correct values and mark
 * files reviewed, the run resumes to COMPLETE, and results show validations, corrected values
 * and their history only when asked. Every results response validates against the reference.
 */
import { afterEach, expect, it } from 'vitest';
import type { ReviewFileView, ReviewView } from '../../src/services/review-service.js';
import { expectReference } from '../conformance/reference-validator.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  expectError,
  getLogs,
  getRun,
  publishOk,
  startRunOk,
  waitForRun,
  type RunObject,
} from './run-helpers.js';
import { writeApp } from './test-apps.js';

// ---- the app under review ----

const FIELD_RULES = [
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
const REVIEW_APP_SOURCE = `
const doc = (over = {}) => ({ class_name: 'Invoice', page_numbers: [1], fields: {
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

function reviewApp(name = 'checker', review: string = 'on_validation_failure') {
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
const MIXED = {
  'a-good.txt': 'a',
  'b-pattern.txt': 'b',
  'c-unsure.txt': 'c',
  'd-good.txt': 'd',
  'e-multi.txt': 'e',
  'f-missing.txt': 'f',
};
/** `final_result_pass` of each document of MIXED before review. */
const MIXED_PASS = [[true], [false], [false], [true], [true, false], [false]];
const GOOD = { 'a-good.txt': 'a', 'd-good.txt': 'd' };

const PATTERN_ALERT = {
  alert_level: 'FAILURE',
  msg: 'invoice number must match the pattern /^INV-\\d+$/.',
  blocked: true,
  type: 'pattern',
};
const CONFIDENCE_ALERT = {
  alert_level: 'FAILURE',
  msg: 'total confidence must be at least 0.8 (it is 0.5).',
  blocked: true,
  type: 'min_confidence',
};
const MIN_ALERT = {
  alert_level: 'FAILURE',
  msg: 'total must be at least 0.',
  blocked: true,
  type: 'min',
};
const ONE_OF_ALERT = {
  alert_level: 'FAILURE',
  msg: 'currency must be one of "EUR", "USD".',
  blocked: true,
  type: 'one_of',
};
const REQUIRED_ALERT = {
  alert_level: 'FAILURE',
  msg: 'invoice number is required.',
  blocked: true,
  type: 'required',
};
const DATE_ALERT = {
  alert_level: 'FAILURE',
  msg: 'due date must be a valid date.',
  blocked: true,
  type: 'type',
};
const VALID = { valid: true, alerts: [] };
const invalid = (...alerts: unknown[]) => ({ valid: false, alerts });

// ---- results with their optional parts ----

interface Edit {
  timestamp: string;
  user_id: string;
  modifications: { message: string | null }[];
}

interface Field {
  field_name: string;
  value: string;
  type: string;
  confidence?: unknown;
  validations?: { valid: boolean; alerts: unknown[] };
  edit_history?: Edit[];
}

interface Doc {
  class_name: string | null;
  page_numbers: number[];
  fields: Field[];
  review_completed?: boolean;
  class_edit_history?: Edit[];
  validations?: { final_result_pass: boolean };
  classification_confidence?: unknown;
}

interface Results {
  id: string;
  status: string;
  message: string | null;
  files: { original_file_name: string; documents: Doc[] }[];
  review_completed: boolean;
  has_more: boolean;
}

const FLAG_NAMES = [
  'include_validation_results',
  'include_review_results',
  'include_confidence_scores',
] as const;
type Flags = Record<(typeof FLAG_NAMES)[number], boolean>;

/** All 8 combinations of the three flags. */
const FLAG_COMBINATIONS: Flags[] = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => ({
  include_validation_results: (bits & 1) !== 0,
  include_review_results: (bits & 2) !== 0,
  include_confidence_scores: (bits & 4) !== 0,
}));

const queryOf = (flags: Partial<Flags>) => {
  const on = FLAG_NAMES.filter((n) => flags[n]).map((n) => `${n}=true`);
  return on.length === 0 ? '' : `?${on.join('&')}`;
};

const field = (doc: Doc | undefined, name: string): Field => {
  const f = doc?.fields.find((x) => x.field_name === name);
  if (!f) throw new Error(`no field ${name} in ${JSON.stringify(doc)}`);
  return f;
};

const reviewField = (file: ReviewFileView | undefined, doc: number, name: string) => {
  const f = file?.documents[doc]?.fields.find((x) => x.field_name === name);
  if (!f) throw new Error(`no field ${name} in document ${doc} of ${JSON.stringify(file)}`);
  return f;
};

/** A date string that is exactly what `toISOString` makes. */
const isIsoTimestamp = (s: string) => new Date(s).toISOString() === s;

describeEachBackend('validation and human review', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  // ---- calls ----

  /** GET results, checked against the reference (strict) on the way. */
  async function resultsOf(token: string, runId: string, flags: Partial<Flags> = {}) {
    const res = await h.as(token, {
      method: 'GET',
      url: `/api/v2/apps/runs/${runId}/results${queryOf(flags)}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expectReference('getRunResults', res);
    return res.json<Results>();
  }

  const getReview = (token: string, runId: string) =>
    h.as(token, { method: 'GET', url: `/api/v2/apps/runs/${runId}/review` });

  async function reviewOf(token: string, runId: string): Promise<ReviewView> {
    const res = await getReview(token, runId);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ReviewView>();
  }

  const patchFile = (token: string, runId: string, index: number | string, payload: unknown) =>
    h.as(token, {
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
    h.as(token, {
      method: 'POST',
      url: `/api/v2/apps/runs/${runId}/resume`,
      ...(payload ? { payload } : {}),
    });

  async function runOf(token: string, runId: string): Promise<RunObject> {
    const res = await getRun(h, token, runId);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<RunObject>();
  }

  /** Everything a reviewer or a results reader could see of the run. */
  async function snapshot(runId: string) {
    return {
      run: await runOf(h.tokens.alice, runId),
      review: await reviewOf(h.tokens.alice, runId),
      results: await resultsOf(h.tokens.alice, runId, {
        include_validation_results: true,
        include_review_results: true,
        include_confidence_scores: true,
      }),
    };
  }

  /** Publishes the review app, runs it over `files` as alice, and waits for it to stop. */
  async function runToCheckpoint(files: Record<string, string> = MIXED) {
    const { app_id } = await publishOk(h, h.tokens.alice, reviewApp());
    const batch = await createBatch(h, h.tokens.alice, files);
    const started = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    const run = await waitForRun(h, h.tokens.alice, started.id, [
      'STOPPED_AT_CHECKPOINT',
      'COMPLETE',
      'FAILED',
      'CANCELLED',
    ]);
    expect(run.status, run.msg ?? '').toBe('STOPPED_AT_CHECKPOINT');
    return { app_id, batch, run };
  }

  // ---- the whole review ----

  it('a run with failing fields stops at the checkpoint, is reviewed, corrected and resumed', async () => {
    h = await startHarness(backend);
    const { run } = await runToCheckpoint();

    // Stopped after every file was processed, saying how many need review.
    expect(run.msg).toBe('Stopped at the checkpoint: 4 files need review.');
    expect(await getLogs(h, h.tokens.alice, run.id)).toMatch(
      /\[status\] stopped_at_checkpoint: Stopped at the checkpoint: 4 files need review\./,
    );

    // The review lists exactly the failing files, their failing fields and alerts.
    const review = await reviewOf(h.tokens.bob, run.id);
    expect(review).toMatchObject({
      run_id: run.id,
      status: 'STOPPED_AT_CHECKPOINT',
      review_completed: false,
      files_to_review: 4,
      files_reviewed: 0,
    });
    expect(
      review.files.map((f) => [f.file_index, f.original_file_name, f.reviewed, f.reviewed_by]),
    ).toEqual([
      [1, 'b-pattern.txt', false, null],
      [2, 'c-unsure.txt', false, null],
      [4, 'e-multi.txt', false, null],
      [5, 'f-missing.txt', false, null],
    ]);
    const [pattern, unsure, multi, missing] = review.files;
    expect(pattern!.reviewed_at_ms).toBeNull();
    expect(
      review.files.map((f) =>
        f.documents.map((d) => [
          d.document_index,
          d.class_name,
          d.final_result_pass,
          d.failing_fields,
        ]),
      ),
    ).toEqual([
      [[0, 'Invoice', false, ['invoice number']]],
      [[0, 'Invoice', false, ['total']]],
      [
        [0, 'Invoice', true, []],
        [1, 'Receipt', false, ['total', 'currency', 'due date']],
      ],
      [[0, 'Invoice', false, ['invoice number']]],
    ]);
    expect(reviewField(pattern, 0, 'invoice number')).toEqual({
      field_name: 'invoice number',
      value: 'X-12',
      type: 'TEXT',
      confidence: null,
      validations: invalid(PATTERN_ALERT),
      edit_history: [],
    });
    expect(reviewField(pattern, 0, 'total').validations).toEqual(VALID);
    expect(reviewField(unsure, 0, 'total')).toMatchObject({
      value: '99',
      type: 'NUMBER',
      confidence: 0.5,
      validations: invalid(CONFIDENCE_ALERT),
    });
    expect(reviewField(multi, 1, 'total').validations).toEqual(invalid(MIN_ALERT));
    expect(reviewField(multi, 1, 'currency').validations).toEqual(invalid(ONE_OF_ALERT));
    expect(reviewField(multi, 1, 'due date').validations).toEqual(invalid(DATE_ALERT));
    expect(reviewField(multi, 1, 'invoice number').validations).toEqual(VALID);
    // A required field the app did not return is listed last, empty, for the reviewer to fill.
    expect(missing!.documents[0]!.fields.map((f) => f.field_name)).toEqual([
      'total',
      'currency',
      'due date',
      'invoice number',
    ]);
    expect(reviewField(missing, 0, 'invoice number')).toEqual({
      field_name: 'invoice number',
      value: '',
      type: 'TEXT',
      confidence: null,
      validations: invalid(REQUIRED_ALERT),
      edit_history: [],
    });

    // Results before review: each flag adds exactly its own parts.
    for (const flags of FLAG_COMBINATIONS) {
      const what = queryOf(flags) || '(no flags)';
      const res = await resultsOf(h.tokens.alice, run.id, flags);
      expect(res, what).toMatchObject({
        status: 'STOPPED_AT_CHECKPOINT',
        review_completed: false,
        has_more: false,
      });
      expect(res.files.map((f) => f.original_file_name)).toEqual(Object.keys(MIXED));
      for (const doc of res.files.flatMap((f) => f.documents)) {
        expect('validations' in doc, what).toBe(flags.include_validation_results);
        expect('review_completed' in doc, what).toBe(flags.include_review_results);
        expect('class_edit_history' in doc, what).toBe(flags.include_review_results);
        expect('classification_confidence' in doc, what).toBe(flags.include_confidence_scores);
        if (flags.include_review_results) {
          expect(doc.review_completed, what).toBe(false);
          expect(doc.class_edit_history, what).toEqual([]);
        }
        for (const f of doc.fields) {
          expect('validations' in f, what).toBe(flags.include_validation_results);
          expect('edit_history' in f, what).toBe(flags.include_review_results);
          expect('confidence' in f, what).toBe(flags.include_confidence_scores);
          if (flags.include_review_results) expect(f.edit_history, what).toEqual([]);
        }
      }
      if (flags.include_validation_results) {
        const docs = res.files.map((f) => f.documents);
        expect(
          docs.map((ds) => ds.map((d) => d.validations?.final_result_pass)),
          what,
        ).toEqual(MIXED_PASS);
        expect(field(docs[1]![0], 'invoice_number').validations).toEqual(invalid(PATTERN_ALERT));
        expect(field(docs[2]![0], 'total').validations).toEqual(invalid(CONFIDENCE_ALERT));
        expect(field(docs[4]![1], 'due_date').validations).toEqual(invalid(DATE_ALERT));
        expect(field(docs[0]![0], 'total').validations).toEqual(VALID);
      }
    }

    // Resuming while files remain unreviewed is refused and changes nothing.
    const before = await snapshot(run.id);
    const refused = await resume(h.tokens.bob, run.id);
    expect(expectError(refused, 409, 'conflict')).toMatch(/4 files still need review/);
    expect(await snapshot(run.id)).toEqual(before);

    // A correction (by the name the app gave) is recorded with who and when, and re-validated.
    const corrected = await patchOk(h.tokens.bob, run.id, 1, {
      corrections: [{ field_name: 'invoice number', value: 'INV-12' }],
    });
    expect(corrected).toMatchObject({ file_index: 1, reviewed: false, reviewed_by: null });
    expect(corrected.documents[0]).toMatchObject({ final_result_pass: true, failing_fields: [] });
    const edited = reviewField(corrected, 0, 'invoice number');
    expect(edited).toMatchObject({ value: 'INV-12', validations: VALID });
    expect(edited.edit_history).toEqual([
      {
        timestamp: expect.any(String) as unknown,
        user_id: 'bob',
        modifications: [{ message: 'Changed invoice number from "X-12" to "INV-12".' }],
      },
    ]);
    expect(isIsoTimestamp(edited.edit_history[0]!.timestamp)).toBe(true);
    // The untouched fields keep an empty history; GET review shows the same as the PATCH did.
    expect(reviewField(corrected, 0, 'total').edit_history).toEqual([]);
    const afterEdit = await reviewOf(h.tokens.alice, run.id);
    expect(afterEdit.files.find((f) => f.file_index === 1)).toEqual(corrected);
    // Sending the same correction again (a retried request) records nothing new.
    const retried = await patchOk(h.tokens.bob, run.id, 1, {
      corrections: [{ field_name: 'invoice number', value: 'INV-12' }],
    });
    expect(reviewField(retried, 0, 'invoice number').edit_history).toHaveLength(1);

    // An edited value is not held to min_confidence; other rules still are.
    const unsureFixed = await patchOk(h.tokens.alice, run.id, 2, {
      corrections: [{ field_name: 'total', value: '-99' }],
    });
    expect(reviewField(unsureFixed, 0, 'total').validations).toEqual(invalid(MIN_ALERT));
    const unsureFixed2 = await patchOk(h.tokens.alice, run.id, 2, {
      corrections: [{ field_name: 'total', value: '99.00' }],
    });
    const total = reviewField(unsureFixed2, 0, 'total');
    expect(total).toMatchObject({ value: '99.00', confidence: 0.5, validations: VALID });
    expect(total.edit_history.map((e) => [e.user_id, e.modifications[0]?.message])).toEqual([
      ['alice', 'Changed total from "99" to "-99".'],
      ['alice', 'Changed total from "-99" to "99.00".'],
    ]);
    expect(unsureFixed2.documents[0]!.final_result_pass).toBe(true);

    // Several corrections to the second document (sanitised names work too), marked reviewed.
    const multiDone = await patchOk(h.tokens.bob, run.id, 4, {
      corrections: [
        { document_index: 1, field_name: 'total', value: '5' },
        { document_index: 1, field_name: 'currency', value: 'USD' },
        { document_index: 1, field_name: 'due_date', value: '2026-02-28' },
      ],
      reviewed: true,
    });
    expect(multiDone).toMatchObject({ file_index: 4, reviewed: true, reviewed_by: 'bob' });
    expect(multiDone.reviewed_at_ms).toEqual(expect.any(Number));
    expect(multiDone.documents.map((d) => [d.final_result_pass, d.failing_fields])).toEqual([
      [true, []],
      [true, []],
    ]);
    expect(reviewField(multiDone, 1, 'due date')).toMatchObject({
      value: '2026-02-28',
      validations: VALID,
      edit_history: [
        {
          user_id: 'bob',
          modifications: [{ message: 'Changed due date from "2026-02-30" to "2026-02-28".' }],
        },
      ],
    });
    expect(reviewField(multiDone, 0, 'total').edit_history).toEqual([]);

    // The missing value, filled in by the sanitised name the results use.
    const filled = await patchOk(h.tokens.alice, run.id, 5, {
      corrections: [{ field_name: 'invoice_number', value: 'INV-77' }],
      reviewed: true,
    });
    expect(reviewField(filled, 0, 'invoice number')).toMatchObject({
      value: 'INV-77',
      validations: VALID,
      edit_history: [
        {
          user_id: 'alice',
          modifications: [{ message: 'Changed invoice number from "" to "INV-77".' }],
        },
      ],
    });
    expect(filled).toMatchObject({ reviewed: true, reviewed_by: 'alice' });

    // Still one file unreviewed: resume is refused.
    await patchOk(h.tokens.bob, run.id, 1, { reviewed: true });
    expect(expectError(await resume(h.tokens.alice, run.id), 409, 'conflict')).toMatch(
      /1 file still needs review/,
    );
    // Marking reviewed and un-marking is possible while at the checkpoint.
    const marked = await patchOk(h.tokens.alice, run.id, 2, { reviewed: true });
    expect(marked).toMatchObject({ reviewed: true, reviewed_by: 'alice' });
    const unmarked = await patchOk(h.tokens.alice, run.id, 2, { reviewed: false });
    expect(unmarked).toMatchObject({ reviewed: false, reviewed_by: null, reviewed_at_ms: null });
    expect((await reviewOf(h.tokens.alice, run.id)).files_reviewed).toBe(3);
    await patchOk(h.tokens.bob, run.id, 2, { reviewed: true });
    expect(await reviewOf(h.tokens.alice, run.id)).toMatchObject({
      status: 'STOPPED_AT_CHECKPOINT',
      files_to_review: 4,
      files_reviewed: 4,
      review_completed: false,
    });

    // Every file reviewed: a member resumes, the run completes.
    const resumed = await resume(h.tokens.bob, run.id);
    expect(resumed.statusCode, resumed.body).toBe(200);
    const done = resumed.json<RunObject>();
    expect(done).toMatchObject({ id: run.id, status: 'COMPLETE' });
    expect(done.msg).toMatch(/Review completed; resumed by bob/);
    expect(done.finish_timestamp).toEqual(expect.any(Number));
    expect(await runOf(h.tokens.alice, run.id)).toEqual(done);
    expect(await getLogs(h, h.tokens.alice, run.id)).toMatch(
      /\[status\] complete: Review completed; resumed by bob/,
    );

    // Results after: corrected values, history with the review flag, all documents passing.
    const plain = await resultsOf(h.tokens.alice, run.id);
    expect(plain).toMatchObject({ status: 'COMPLETE', review_completed: true });
    expect(field(plain.files[1]!.documents[0], 'invoice_number')).toEqual({
      field_name: 'invoice_number',
      value: 'INV-12',
      type: 'TEXT',
    });
    expect(field(plain.files[2]!.documents[0], 'total').value).toBe('99.00');
    expect(plain.files[4]!.documents[1]!.fields.map((f) => [f.field_name, f.value])).toEqual([
      ['invoice_number', 'INV-1'],
      ['total', '5'],
      ['currency', 'USD'],
      ['due_date', '2026-02-28'],
    ]);
    expect(field(plain.files[5]!.documents[0], 'invoice_number').value).toBe('INV-77');
    const full = await resultsOf(h.tokens.alice, run.id, {
      include_review_results: true,
      include_validation_results: true,
    });
    expect(full.review_completed).toBe(true);
    expect(
      full.files.map((f) => f.documents.map((d) => [d.review_completed, d.validations])),
    ).toEqual([
      [[false, { final_result_pass: true }]],
      [[true, { final_result_pass: true }]],
      [[true, { final_result_pass: true }]],
      [[false, { final_result_pass: true }]],
      [
        [true, { final_result_pass: true }],
        [true, { final_result_pass: true }],
      ],
      [[true, { final_result_pass: true }]],
    ]);
    const fullInvoice = field(full.files[1]!.documents[0], 'invoice_number');
    expect(fullInvoice.validations).toEqual(VALID);
    expect(fullInvoice.edit_history).toEqual(edited.edit_history);
    expect(field(full.files[2]!.documents[0], 'total').edit_history).toHaveLength(2);
    expect(field(full.files[2]!.documents[0], 'total').validations).toEqual(VALID);
    expect(field(full.files[0]!.documents[0], 'total').edit_history).toEqual([]);

    // The run is no longer at the checkpoint: no more edits, no second resume.
    const after = await snapshot(run.id);
    expect(after.review).toMatchObject({ status: 'COMPLETE', review_completed: true });
    expectError(
      await patchFile(h.tokens.alice, run.id, 1, {
        corrections: [{ field_name: 'invoice number', value: 'INV-99' }],
      }),
      409,
      'conflict',
    );
    expectError(await patchFile(h.tokens.alice, run.id, 1, { reviewed: false }), 409, 'conflict');
    expectError(await resume(h.tokens.alice, run.id), 409, 'conflict');
    expect(await snapshot(run.id)).toEqual(after);
  });

  // ---- refusals ----

  it('refuses malformed corrections, files that need no review, unknown files and other orgs, changing nothing', async () => {
    h = await startHarness(backend);
    const { run } = await runToCheckpoint();
    const before = await snapshot(run.id);
    const valid = { field_name: 'invoice number', value: 'INV-5' };

    const malformed: [string, unknown, RegExp][] = [
      [
        'unknown field',
        { corrections: [{ field_name: 'no such field', value: 'x' }] },
        /no such field/,
      ],
      [
        'document index past the end',
        { corrections: [{ document_index: 1, field_name: 'total', value: '1' }] },
        /document_index 1/,
      ],
      [
        'negative document index',
        { corrections: [{ document_index: -1, field_name: 'total', value: '1' }] },
        /document_index/,
      ],
      [
        'non-integer document index',
        { corrections: [{ document_index: 0.5, field_name: 'total', value: '1' }] },
        /document_index/,
      ],
      ['number value', { corrections: [{ field_name: 'total', value: 42 }] }, /value/],
      ['null value', { corrections: [{ field_name: 'total', value: null }] }, /value/],
      ['missing value', { corrections: [{ field_name: 'total' }] }, /value/],
      ['empty field name', { corrections: [{ field_name: '', value: 'x' }] }, /field_name/],
      [
        'extra property in a correction',
        { corrections: [{ ...valid, comment: 'hi' }] },
        /comment|additional/i,
      ],
      ['extra property in the body', { corrections: [valid], force: true }, /force|additional/i],
      ['corrections not an array', { corrections: valid }, /corrections/],
      ['reviewed not a boolean', { reviewed: 'yes' }, /reviewed/],
      // A valid correction followed by a bad one: the valid one is not applied either.
      [
        'valid then unknown field',
        { corrections: [valid, { field_name: 'nope', value: 'x' }], reviewed: true },
        /nope/,
      ],
    ];
    for (const [what, payload, message] of malformed) {
      const res = await patchFile(h.tokens.alice, run.id, 1, payload);
      expect(expectError(res, 400, 'invalid-input'), what).toMatch(message);
    }
    const notJson = await h.as(h.tokens.alice, {
      method: 'PATCH',
      url: `/api/v2/apps/runs/${run.id}/review/files/1`,
      payload: '{"corrections": [',
      headers: { 'content-type': 'application/json' },
    });
    expectError(notJson, 400, 'invalid-input');
    expectError(
      await patchFile(h.tokens.alice, run.id, 'one', { reviewed: true }),
      400,
      'invalid-input',
    );
    expectError(
      await patchFile(h.tokens.alice, run.id, -1, { reviewed: true }),
      400,
      'invalid-input',
    );
    expectError(await resume(h.tokens.alice, run.id, { force: 'yes' }), 400, 'invalid-input');
    expectError(await resume(h.tokens.alice, run.id, { please: true }), 400, 'invalid-input');

    // A file that needs no review, and one the run does not have.
    expect(
      expectError(await patchFile(h.tokens.alice, run.id, 0, { reviewed: true }), 409, 'conflict'),
    ).toMatch(/does not need review/);
    expectError(
      await patchFile(h.tokens.alice, run.id, 0, {
        corrections: [{ field_name: 'total', value: '1' }],
      }),
      409,
      'conflict',
    );
    expectError(
      await patchFile(h.tokens.alice, run.id, 99, { reviewed: true }),
      404,
      'record-not-found',
    );

    // Another org's admin sees no such run anywhere in review, even with force.
    expectError(await getReview(h.tokens.eve, run.id), 404, 'record-not-found');
    expectError(
      await patchFile(h.tokens.eve, run.id, 1, { corrections: [valid], reviewed: true }),
      404,
      'record-not-found',
    );
    expectError(await resume(h.tokens.eve, run.id), 404, 'record-not-found');
    expectError(await resume(h.tokens.eve, run.id, { force: true }), 404, 'record-not-found');
    // Nor does a member of another org, for whom force is not allowed anywhere.
    await h.runbox.admin.createUser({ id: 'mallory', orgId: 'globex', role: 'member' });
    const mallory = (await h.runbox.admin.createToken('mallory')).token;
    expectError(await getReview(mallory, run.id), 404, 'record-not-found');
    expectError(await resume(mallory, run.id, { force: true }), 404, 'record-not-found');
    expectError(
      await resume(h.tokens.bob, 'no-such-run', { force: true }),
      404,
      'record-not-found',
    );
    expectError(await getReview(h.tokens.alice, 'no-such-run'), 404, 'record-not-found');
    expectError(
      await patchFile(h.tokens.alice, 'no-such-run', 1, { reviewed: true }),
      404,
      'record-not-found',
    );

    expect(await snapshot(run.id)).toEqual(before);
    // The same correction, well formed, goes through (so the refusals were about the input).
    const ok = await patchOk(h.tokens.alice, run.id, 1, { corrections: [valid] });
    expect(reviewField(ok, 0, 'invoice number')).toMatchObject({
      value: 'INV-5',
      validations: VALID,
    });
  });

  it('a field the app could not extract is reviewed like any other; the correction clears the error', async () => {
    h = await startHarness(backend);
    const { run } = await runToCheckpoint({ 'smudged.txt': 's' });
    const total = reviewField((await reviewOf(h.tokens.alice, run.id)).files[0], 0, 'total');
    const errorAlert = {
      alert_level: 'FAILURE',
      msg: 'The field could not be extracted: the total is smudged',
      blocked: true,
      type: 'error',
    };
    expect(total).toMatchObject({ value: 'ERROR', validations: invalid(errorAlert) });
    const before = await resultsOf(h.tokens.alice, run.id, { include_validation_results: true });
    expect(field(before.files[0]!.documents[0], 'total')).toMatchObject({
      value: 'ERROR',
      error_msg: 'the total is smudged',
      validations: invalid(errorAlert),
    });

    const fixed = await patchOk(h.tokens.alice, run.id, 0, {
      corrections: [{ field_name: 'total', value: '12.50' }],
      reviewed: true,
    });
    expect(reviewField(fixed, 0, 'total')).toMatchObject({ value: '12.50', validations: VALID });
    expect(reviewField(fixed, 0, 'total').edit_history[0]!.modifications).toEqual([
      { message: 'Changed total from "ERROR" to "12.50".' },
    ]);
    expect((await resume(h.tokens.alice, run.id)).statusCode).toBe(200);
    const after = await resultsOf(h.tokens.alice, run.id, {
      include_validation_results: true,
      include_review_results: true,
    });
    const corrected = field(after.files[0]!.documents[0], 'total');
    expect(corrected).toMatchObject({ value: '12.50', validations: VALID });
    expect('error_msg' in corrected).toBe(false);
    expect(after.files[0]!.documents[0]!.validations).toEqual({ final_result_pass: true });
  });

  it('a reviewer confirms a low-confidence value as it is: recorded, and then valid', async () => {
    h = await startHarness(backend);
    const { run } = await runToCheckpoint({ 'unsure.txt': 'u' });
    // Waiting for review is not finished.
    expect((await runOf(h.tokens.alice, run.id)).finish_timestamp).toBeNull();
    const before = reviewField((await reviewOf(h.tokens.alice, run.id)).files[0], 0, 'total');
    expect(before.validations.valid).toBe(false);
    const confirmed = await patchOk(h.tokens.bob, run.id, 0, {
      corrections: [{ field_name: 'total', value: before.value }],
    });
    const total = reviewField(confirmed, 0, 'total');
    expect(total).toMatchObject({ value: before.value, confidence: 0.5, validations: VALID });
    expect(total.edit_history.map((e) => [e.user_id, e.modifications])).toEqual([
      ['bob', [{ message: `Confirmed total as ${JSON.stringify(before.value)}.` }]],
    ]);
    // Now valid, sending it again records nothing more.
    const again = await patchOk(h.tokens.bob, run.id, 0, {
      corrections: [{ field_name: 'total', value: before.value }],
    });
    expect(reviewField(again, 0, 'total').edit_history).toHaveLength(1);
  });

  // Concurrent requests: on SQLite they take turns anyway; on Postgres they interleave, so
  // these properties are checked over several rounds (each must hold whatever the order).

  it('a reviewer marking a file reviewed and another correcting it at once lose neither change', async () => {
    h = await startHarness(backend);
    const { run } = await runToCheckpoint();
    for (let round = 0; round < 8; round++) {
      await patchOk(h.tokens.alice, run.id, 1, { reviewed: false });
      const value = `INV-${round}`;
      const [mark, correct] = await Promise.all([
        patchFile(h.tokens.alice, run.id, 1, { reviewed: true }),
        patchFile(h.tokens.bob, run.id, 1, {
          corrections: [{ field_name: 'invoice number', value }],
        }),
      ]);
      const file = (await reviewOf(h.tokens.alice, run.id)).files.find((f) => f.file_index === 1);
      // Each request either took effect or was refused as a conflict; never silently undone.
      for (const res of [mark, correct]) expect([200, 409], res.body).toContain(res.statusCode);
      expect(mark.statusCode === 200 || correct.statusCode === 200).toBe(true);
      if (mark.statusCode === 200) expect(file?.reviewed, `round ${round}`).toBe(true);
      if (correct.statusCode === 200) {
        expect(reviewField(file, 0, 'invoice number').value, `round ${round}`).toBe(value);
      }
    }
  });

  it('resuming while a reviewer un-marks a file never completes with that file unreviewed', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, reviewApp());
    const batch = await createBatch(h, h.tokens.alice, { 'b-pattern.txt': 'b' });
    for (let round = 0; round < 4; round++) {
      const started = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
      const run = await waitForRun(h, h.tokens.alice, started.id, ['STOPPED_AT_CHECKPOINT']);
      await patchOk(h.tokens.bob, run.id, 0, { reviewed: true });
      const [resumed, unmarked] = await Promise.all([
        resume(h.tokens.alice, run.id),
        patchFile(h.tokens.bob, run.id, 0, { reviewed: false }),
      ]);
      for (const res of [resumed, unmarked]) expect([200, 409], res.body).toContain(res.statusCode);
      // Exactly one wins: either the run completed reviewed, or it waits with the file unmarked.
      expect([resumed.statusCode, unmarked.statusCode].sort(), `round ${round}`).toEqual([
        200, 409,
      ]);
      const review = await reviewOf(h.tokens.alice, run.id);
      expect(review, `round ${round}`).toMatchObject(
        resumed.statusCode === 200
          ? { status: 'COMPLETE', review_completed: true, files_reviewed: 1 }
          : { status: 'STOPPED_AT_CHECKPOINT', review_completed: false, files_reviewed: 0 },
      );
    }
  });

  it('only an org admin may force a resume with files unreviewed', async () => {
    h = await startHarness(backend);
    const { run } = await runToCheckpoint();
    await patchOk(h.tokens.bob, run.id, 1, { reviewed: true });
    const before = await snapshot(run.id);

    expect(
      expectError(await resume(h.tokens.bob, run.id, { force: true }), 403, 'permission-denied'),
    ).toMatch(/admin/);
    expectError(await resume(h.tokens.alice, run.id, { force: false }), 409, 'conflict');
    expect(await snapshot(run.id)).toEqual(before);

    const forced = await resume(h.tokens.alice, run.id, { force: true });
    expect(forced.statusCode, forced.body).toBe(200);
    const done = forced.json<RunObject>();
    expect(done).toMatchObject({ id: run.id, status: 'COMPLETE' });
    expect(done.msg).toMatch(/alice with 3 files unreviewed \(forced\)/);
    const res = await resultsOf(h.tokens.alice, run.id, {
      include_review_results: true,
      include_validation_results: true,
    });
    expect(res).toMatchObject({ status: 'COMPLETE', review_completed: true });
    // What was not reviewed keeps its values and says so.
    expect(res.files.map((f) => f.documents[0]!.review_completed)).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(field(res.files[1]!.documents[0], 'invoice_number')).toMatchObject({
      value: 'X-12',
      validations: invalid(PATTERN_ALERT),
      edit_history: [],
    });
    expect(await reviewOf(h.tokens.bob, run.id)).toMatchObject({
      status: 'COMPLETE',
      review_completed: true,
      files_to_review: 4,
      files_reviewed: 1,
    });
  });

  it('a run cancelled at the checkpoint is CANCELLED and can no longer be reviewed', async () => {
    h = await startHarness(backend);
    const { run } = await runToCheckpoint();
    // Waiting for review is not finished: it cannot be deleted yet.
    expectError(
      await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/apps/runs/${run.id}` }),
      409,
      'run-not-finished',
    );
    const cancel = await h.as(h.tokens.bob, {
      method: 'POST',
      url: `/api/v2/apps/runs/${run.id}/cancel`,
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json<RunObject>()).toMatchObject({ id: run.id, status: 'CANCELLED' });
    const cancelled = await runOf(h.tokens.alice, run.id);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.msg).toMatch(/Cancelled by bob/);
    expect(cancelled.finish_timestamp).toEqual(expect.any(Number));

    const after = await snapshot(run.id);
    expect(after.results).toMatchObject({ status: 'CANCELLED', review_completed: false });
    expectError(await patchFile(h.tokens.alice, run.id, 1, { reviewed: true }), 409, 'conflict');
    expectError(await resume(h.tokens.alice, run.id), 409, 'conflict');
    expectError(await resume(h.tokens.alice, run.id, { force: true }), 409, 'conflict');
    expect(await snapshot(run.id)).toEqual(after);
    // The results still hold what the app found, with its validations.
    expect(field(after.results.files[1]!.documents[0], 'invoice_number')).toMatchObject({
      value: 'X-12',
      validations: invalid(PATTERN_ALERT),
    });
  });

  // ---- review policies ----

  async function deploy(appId: string, review_policy: string | null) {
    const res = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name: `review-${String(review_policy)}`, app_id: appId, review_policy },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  async function runDeployment(deploymentId: string, batchId: number) {
    const res = await h.as(h.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/deployments/${deploymentId}/runs`,
      payload: { batch_id: batchId },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<RunObject>().id;
    return waitForRun(h, h.tokens.alice, id, [
      'STOPPED_AT_CHECKPOINT',
      'COMPLETE',
      'FAILED',
      'CANCELLED',
    ]);
  }

  it('policy "always" stops even when every field is valid', async () => {
    h = await startHarness(backend);
    // In the manifest …
    const { app_id: alwaysApp } = await publishOk(
      h,
      h.tokens.alice,
      reviewApp('checker-always', 'always'),
    );
    const good = await createBatch(h, h.tokens.alice, GOOD);
    const started = await startRunOk(h, h.tokens.alice, { app_id: alwaysApp, batch_id: good });
    const run = await waitForRun(h, h.tokens.alice, started.id, [
      'STOPPED_AT_CHECKPOINT',
      'COMPLETE',
    ]);
    expect(run).toMatchObject({
      status: 'STOPPED_AT_CHECKPOINT',
      msg: 'Stopped at the checkpoint: 2 files need review.',
    });
    const review = await reviewOf(h.tokens.alice, run.id);
    expect(review).toMatchObject({ files_to_review: 2, files_reviewed: 0 });
    expect(
      review.files.map((f) => [
        f.file_index,
        f.documents.map((d) => [d.final_result_pass, d.failing_fields]),
      ]),
    ).toEqual([
      [0, [[true, []]]],
      [1, [[true, []]]],
    ]);
    // A reviewer may confirm nothing needs changing, then resume.
    await patchOk(h.tokens.alice, run.id, 0, { reviewed: true });
    await patchOk(h.tokens.alice, run.id, 1, { reviewed: true });
    expect((await resume(h.tokens.alice, run.id)).json<RunObject>().status).toBe('COMPLETE');

    // … and as a deployment's policy overriding the manifest's on_validation_failure.
    const { app_id } = await publishOk(h, h.tokens.alice, reviewApp());
    const viaDeployment = await runDeployment(await deploy(app_id, 'always'), good);
    expect(viaDeployment).toMatchObject({
      status: 'STOPPED_AT_CHECKPOINT',
      msg: 'Stopped at the checkpoint: 2 files need review.',
    });
    // Without the override the same app over the same files completes.
    const inherit = await runDeployment(await deploy(app_id, null), good);
    expect(inherit.status).toBe('COMPLETE');
  });

  it('policy "never" completes even when fields are invalid, still reporting the validations', async () => {
    h = await startHarness(backend);
    const mixed = await createBatch(h, h.tokens.alice, MIXED);
    const check = async (run: RunObject) => {
      expect(run.status, run.msg ?? '').toBe('COMPLETE');
      expect(run.msg).toBe('Completed 6 files.');
      const res = await resultsOf(h.tokens.alice, run.id, { include_validation_results: true });
      expect(res.review_completed).toBe(false);
      expect(
        res.files.map((f) => f.documents.map((d) => d.validations?.final_result_pass)),
      ).toEqual(MIXED_PASS);
      expect(field(res.files[1]!.documents[0], 'invoice_number').validations).toEqual(
        invalid(PATTERN_ALERT),
      );
      expect(field(res.files[4]!.documents[1], 'currency').validations).toEqual(
        invalid(ONE_OF_ALERT),
      );
      // Without the flag, no validation details.
      const plain = await resultsOf(h.tokens.alice, run.id);
      expect(JSON.stringify(plain)).not.toMatch(/validations|final_result_pass|edit_history/);
      // Nothing to review, and a completed run cannot be reviewed or resumed.
      expect(await reviewOf(h.tokens.alice, run.id)).toEqual({
        run_id: run.id,
        status: 'COMPLETE',
        review_completed: false,
        files_to_review: 0,
        files_reviewed: 0,
        files: [],
      });
      expect(
        expectError(
          await patchFile(h.tokens.alice, run.id, 1, { reviewed: true }),
          409,
          'conflict',
        ),
      ).toMatch(/not stopped at a checkpoint/);
      expectError(await resume(h.tokens.alice, run.id), 409, 'conflict');
      expectError(await resume(h.tokens.alice, run.id, { force: true }), 409, 'conflict');
    };

    // In the manifest …
    const { app_id: neverApp } = await publishOk(
      h,
      h.tokens.alice,
      reviewApp('checker-never', 'never'),
    );
    const started = await startRunOk(h, h.tokens.alice, { app_id: neverApp, batch_id: mixed });
    await check(
      await waitForRun(h, h.tokens.alice, started.id, ['STOPPED_AT_CHECKPOINT', 'COMPLETE']),
    );

    // … and as a deployment's policy overriding the manifest's on_validation_failure.
    const { app_id } = await publishOk(h, h.tokens.alice, reviewApp());
    await check(await runDeployment(await deploy(app_id, 'never'), mixed));
  });
});

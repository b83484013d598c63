/**
 * Validation and human review end to end (SPEC §8, §4.1 results, §4.2 review): a run stops at
 * the checkpoint, reviewers correct values and mark files reviewed, the run resumes to
 * COMPLETE, and results show validations, corrected values and their history only when asked.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  MIXED,
  MIXED_PASS,
  PATTERN_ALERT,
  CONFIDENCE_ALERT,
  MIN_ALERT,
  ONE_OF_ALERT,
  REQUIRED_ALERT,
  DATE_ALERT,
  VALID,
  invalid,
  FLAG_COMBINATIONS,
  queryOf,
  field,
  reviewField,
  isIsoTimestamp,
  reviewCalls,
} from './review-fixtures.js';
import { expectError, getLogs, type RunObject } from './run-helpers.js';

describeEachBackend('review: the whole flow', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { resultsOf, reviewOf, patchFile, patchOk, resume, runOf, snapshot, runToCheckpoint } =
    reviewCalls(() => h);

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
});

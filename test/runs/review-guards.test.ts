/**
 * Human review refuses what it must (malformed corrections, files needing no review, other
 * orgs, forced resumes by members), keeps concurrent reviewers' work, confirms values as they
 * are, and stops for good when the run is cancelled at the checkpoint.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  reviewApp,
  PATTERN_ALERT,
  VALID,
  invalid,
  field,
  reviewField,
  reviewCalls,
} from './review-fixtures.js';
import {
  createBatch,
  expectError,
  publishOk,
  startRunOk,
  waitForRun,
  type RunObject,
} from './run-helpers.js';

describeEachBackend('review: refusals, races and cancel', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const {
    resultsOf,
    getReview,
    reviewOf,
    patchFile,
    patchOk,
    resume,
    runOf,
    snapshot,
    runToCheckpoint,
  } = reviewCalls(() => h);

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
});

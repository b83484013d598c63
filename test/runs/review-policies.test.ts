/**
 * Review policies: `always` stops even when every field is valid, `never` completes even when
 * fields are invalid, from the manifest or a deployment.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  reviewApp,
  MIXED,
  MIXED_PASS,
  GOOD,
  PATTERN_ALERT,
  ONE_OF_ALERT,
  invalid,
  field,
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

describeEachBackend('review: policies', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { resultsOf, reviewOf, patchFile, patchOk, resume, deploy, runDeployment } = reviewCalls(
    () => h,
  );

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

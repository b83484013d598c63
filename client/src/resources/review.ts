import type { Transport } from '../transport.js';
import type { Review as ReviewView, ReviewFile, ReviewFileRequest, Run } from '../types.js';

/** Human review of runs stopped at the checkpoint. */
export class Review {
  constructor(private readonly t: Transport) {}

  /**
   * The files of a run to review, with their failing fields.
   * @example const r = await runbox.review.get(runId);
   */
  get(runId: string): Promise<ReviewView> {
    return this.t.callJson('getRunReview', { run_id: runId });
  }

  /**
   * Corrects fields of a file and/or marks it reviewed.
   * @example await runbox.review.update(runId, 0, { corrections: [{ field_name: 'total', value: '12.50' }], reviewed: true });
   */
  update(runId: string, fileIndex: number, body: ReviewFileRequest): Promise<ReviewFile> {
    return this.t.callJson(
      'reviewRunFile',
      { run_id: runId, file_index: fileIndex },
      { json: body },
    );
  }

  /**
   * Completes the run once every file is reviewed (`force`: admins, with files unreviewed).
   * @example const run = await runbox.review.resume(runId);
   */
  resume(runId: string, o: { force?: boolean } = {}): Promise<Run> {
    return this.t.callJson('resumeRun', { run_id: runId }, { json: o });
  }
}

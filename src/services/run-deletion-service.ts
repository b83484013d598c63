import { notFound } from '../contract/errors.js';
import type { Sources } from '../domain/sources.js';
import type { Run } from '../store/schema.js';
import type { Repositories, Store } from '../store/store.js';
import type { JobService } from './job-service.js';
import type { Principal } from './principal.js';
import type { RunService } from './run-service.js';

export interface DeleteRunFlags {
  delete_db_data: boolean;
  delete_input: boolean;
  delete_output: boolean;
  delete_logs: boolean;
}

export interface DeleteRunResult {
  delete_input_dir_job_id: string | null;
  delete_output_dir_job_id: string | null;
  delete_log_dir_job_id: string | null;
}

/**
 * `DELETE /v2/apps/runs/{id}` (SPEC §3): only finished runs, only by their starter or an org
 * admin. The parts go in one durable job, whose id is given for each part requested (null for a
 * part kept). Deleting a batch run's input deletes the batch (AI Hub semantics); a folder run's
 * input is its own snapshot, never the user's folder.
 */
export class RunDeletionService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunService,
    private readonly jobs: JobService,
    private readonly sources: Sources,
  ) {}

  async delete(p: Principal, id: string, f: DeleteRunFlags): Promise<DeleteRunResult> {
    const now = this.sources.clock.now();
    const jobId = await this.store.transaction(async (tx) => {
      // Only `tx` inside the transaction: on SQLite the root store waits for it (deadlock).
      const run = await tx.runs.get(p.orgId, id);
      if (!run) throw notFound(`Run ${id}`);
      this.runs.assertMayDelete(p, run);
      return this.requestDeletion(tx, run, f, now);
    });
    if (jobId) this.jobs.wake();
    return {
      delete_input_dir_job_id: f.delete_input ? jobId : null,
      delete_output_dir_job_id: f.delete_output ? jobId : null,
      delete_log_dir_job_id: f.delete_logs ? jobId : null,
    };
  }

  /**
   * The one way a run's data is deleted (by DELETE and by retention), inside the caller's
   * transaction: hides its batch when the input goes, and enqueues one job for the parts (a
   * run whose record is already being deleted answers with that job). Returns the job id, or
   * null when nothing was asked to be deleted.
   */
  async requestDeletion(
    tx: Repositories,
    run: Run,
    f: DeleteRunFlags,
    now: number,
  ): Promise<string | null> {
    let batchId: number | null = null;
    if (
      f.delete_input &&
      run.batch_id !== null &&
      (await tx.batches.get(run.org_id, run.batch_id))
    ) {
      await tx.batches.markDeleted(run.batch_id, now);
      batchId = run.batch_id;
    }
    if (!f.delete_input && !f.delete_output && !f.delete_logs && !f.delete_db_data) return null;
    // The record is already on its way out: that job deletes everything it was asked to.
    if (f.delete_db_data && run.deletion_job_id !== null) return run.deletion_job_id;
    const jobId = await this.jobs.enqueue(tx, run.org_id, 'delete-run', {
      runId: run.id,
      batchId,
      inputPrefix: f.delete_input && run.batch_id === null ? run.input_prefix : null,
      outputPrefix: f.delete_output ? `runs/${run.id}/output` : null,
      logs: f.delete_logs,
      record: f.delete_db_data,
    });
    if (f.delete_db_data) await tx.runs.markDeletionRequested(run.id, jobId);
    return jobId;
  }
}

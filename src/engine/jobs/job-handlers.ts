import type { JobKind } from '../../contract/job-states.js';
import type { Blobs } from '../../blobs/blobs.js';
import type { Store } from '../../store/store.js';
import type { JobPayloads } from './job-payloads.js';

/**
 * One handler per job kind. Every handler is idempotent: it may run again after a crash, after
 * a lost lease or on retry, and deleting what is already gone succeeds. It returns the message
 * shown in `GET /v2/jobs/{id}`.
 */
export type JobHandlers = {
  [K in JobKind]: (payload: JobPayloads[K], attempt: JobAttempt) => Promise<string>;
};

/** Which attempt of its job a handler is running (1-based), of how many. */
export interface JobAttempt {
  attempt: number;
  maxAttempts: number;
}

export type DeletionKind = 'delete-batch' | 'delete-run' | 'delete-batch-file' | 'delete-path';

export function deletionHandlers(store: Store, blobs: Blobs): Pick<JobHandlers, DeletionKind> {
  /** A batch's open uploads, stored files and rows; the batch is already hidden. */
  const deleteBatch = async (batchId: number, prefix: string) => {
    const sessions = await store.uploads.openForBatch(batchId);
    for (const s of sessions) await blobs.abortMultipart(s.blob_upload_id, s.blob_key);
    const removed = await blobs.deletePrefix(prefix);
    await store.batches.purge(batchId);
    return removed;
  };
  return {
    async 'delete-batch'({ batchId, prefix }) {
      const removed = await deleteBatch(batchId, prefix);
      return `Batch ${batchId} deleted (${removed} stored file${removed === 1 ? '' : 's'} removed).`;
    },
    async 'delete-run'(p) {
      const done: string[] = [];
      if (p.batchId !== null) {
        await deleteBatch(p.batchId, `batches/${p.batchId}`);
        done.push(`input batch ${p.batchId}`);
      }
      if (p.inputPrefix !== null) {
        await blobs.deletePrefix(p.inputPrefix);
        done.push('input');
      }
      if (p.outputPrefix !== null) {
        await blobs.deletePrefix(p.outputPrefix);
        done.push('output');
      }
      if (p.logs) {
        await store.runEvents.deleteLogs(p.runId);
        done.push('logs');
      }
      if (p.record) {
        await store.runs.delete(p.runId);
        done.push('run record and results');
      }
      return done.length === 0 ? 'Nothing to delete.' : `Deleted ${done.join(', ')}.`;
    },
    async 'delete-batch-file'({ key }) {
      await blobs.delete(key);
      return 'File deleted.';
    },
    async 'delete-path'({ key }) {
      const stat = await blobs.stat(key);
      if (!stat) return 'Nothing to delete: the path does not exist.';
      if (stat.kind === 'file') {
        await blobs.delete(key);
        return 'File deleted.';
      }
      const n = await blobs.deletePrefix(key);
      return `Folder deleted (${n} file${n === 1 ? '' : 's'}).`;
    },
  };
}

import type { JobKind } from '../../contract/job-states.js';
import type { Blobs } from '../../blobs/blobs.js';
import type { Store } from '../../store/store.js';
import type { JobPayloads } from './job-payloads.js';

/**
 * One handler per job kind. Every handler is idempotent: it may run again after a crash, after
 * a lost lease or on retry, and deleting what is already gone succeeds. It returns the message
 * shown in `GET /v2/jobs/{id}`.
 */
export type JobHandlers = { [K in JobKind]: (payload: JobPayloads[K]) => Promise<string> };

export function deletionHandlers(store: Store, blobs: Blobs): JobHandlers {
  return {
    async 'delete-batch'({ batchId, prefix }) {
      const sessions = await store.uploads.openForBatch(batchId);
      for (const s of sessions) await blobs.abortMultipart(s.blob_upload_id, s.blob_key);
      const removed = await blobs.deletePrefix(prefix);
      await store.batches.purge(batchId);
      return `Batch ${batchId} deleted (${removed} stored file${removed === 1 ? '' : 's'} removed).`;
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

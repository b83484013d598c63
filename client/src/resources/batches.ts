import type { RequestBody } from '../transport.js';
import type { Transport } from '../transport.js';
import type { BatchFileNode, BatchFilesPage, BatchInfo, ListBatchesQuery } from '../types.js';
import { openSource, uploadBody, type UploadSource } from '../upload-source.js';

/** Files above this size go through the multipart upload (as the AI Hub API advises). */
export const MULTIPART_THRESHOLD = 10 * 1024 * 1024;

export interface AddFileOptions {
  /** Called as bytes are sent: (sent, total). */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/** Batches: named sets of uploaded files that runs take as input. */
export class Batches {
  constructor(private readonly t: Transport) {}

  /**
   * Creates a batch.
   * @example const { id } = await runbox.batches.create({ name: 'invoices', workspace: 'Finance' });
   */
  create(body: { name: string; workspace?: string }): Promise<{ id: number }> {
    return this.t.callJson('createBatch', {}, { json: body });
  }

  /**
   * Lists batches visible in the context.
   * @example const { batches } = await runbox.batches.list({ limit: 20 });
   */
  list(query: ListBatchesQuery = {}): Promise<{ batches: BatchInfo[] }> {
    return this.t.callJson('listBatches', {}, { query });
  }

  /**
   * One batch.
   * @example const batch = await runbox.batches.get(42);
   */
  get(id: number): Promise<BatchInfo> {
    return this.t.callJson('getBatch', { batch_id: id });
  }

  /**
   * Deletes a batch and its files (asynchronously): returns the job to poll.
   * @example const { job_id } = await runbox.batches.delete(42); await runbox.jobs.wait(job_id);
   */
  delete(id: number): Promise<{ job_id: string }> {
    return this.t.callJson('deleteBatch', { batch_id: id });
  }

  /**
   * One page of a batch's files.
   * @example const page = await runbox.batches.listFiles(42, { page_size: 100 });
   */
  listFiles(
    id: number,
    query: { page_size?: number; start_token?: string } = {},
  ): Promise<BatchFilesPage> {
    return this.t.callJson('listFiles', { batch_id: id }, { query });
  }

  /**
   * Every file of a batch, across pages.
   * @example for await (const f of runbox.batches.files(42)) console.log(f.name);
   */
  async *files(id: number, pageSize = 100): AsyncGenerator<BatchFileNode> {
    let start: string | undefined;
    for (;;) {
      const page = await this.listFiles(id, { page_size: pageSize, start_token: start });
      yield* page.nodes;
      if (!page.has_more) return;
      start = page.next_page_token;
    }
  }

  /**
   * Uploads a file into a batch from a path (Node), bytes, a Blob/File or a sized stream;
   * files over 10 MB go through the multipart upload by themselves.
   * @example await runbox.batches.addFile(42, 'invoice.pdf', './invoice.pdf');
   */
  async addFile(
    id: number,
    name: string,
    source: UploadSource,
    o: AddFileOptions = {},
  ): Promise<void> {
    const src = await openSource(source);
    try {
      if (src.size <= MULTIPART_THRESHOLD) {
        await this.t.call(
          'addFileToBatch',
          { batch_id: id, filename: name },
          {
            body: await uploadBody(src),
            headers: { 'content-type': 'application/octet-stream' },
            signal: o.signal,
          },
        );
        o.onProgress?.(src.size, src.size);
        return;
      }
      const session = await this.t.callJson<{ session_id: string; part_size: number }>(
        'createMultipartUploadSession',
        {},
        { json: { batch_id: id, filename: name, file_size: src.size }, signal: o.signal },
      );
      const parts: { part_num: number; part_id: string }[] = [];
      try {
        for (let start = 0, n = 1; start < src.size; start += session.part_size, n++) {
          const end = Math.min(src.size, start + session.part_size);
          const part = await this.t.callJson<{ part_id: string; part_num: number }>(
            'uploadMultipartPart',
            { session_id: session.session_id, part_num: n },
            {
              body: (await src.slice(start, end)) as unknown as RequestBody,
              headers: { 'content-type': 'application/octet-stream' },
              signal: o.signal,
            },
          );
          parts.push({ part_num: part.part_num, part_id: part.part_id });
          o.onProgress?.(end, src.size);
        }
        await src.end();
      } catch (err) {
        await this.t
          .call(
            'commitMultipartUploadSession',
            { session_id: session.session_id },
            {
              json: { action: 'abort' },
            },
          )
          .catch(() => undefined);
        throw err;
      }
      await this.t.call(
        'commitMultipartUploadSession',
        { session_id: session.session_id },
        { json: { action: 'commit', parts }, signal: o.signal },
      );
    } finally {
      await src.close();
    }
  }

  /**
   * Removes one file from a batch (asynchronously).
   * @example await runbox.batches.deleteFile(42, 'invoice.pdf');
   */
  async deleteFile(id: number, name: string): Promise<void> {
    await this.t.call('deleteFileFromBatch', { batch_id: id, filename: name });
  }
}

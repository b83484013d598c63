import { MULTIPART_THRESHOLD, type Runbox } from '../../../client/src/index.js';

export interface Upload {
  name: string;
  size: number;
  sent: number;
  state: 'queued' | 'uploading' | 'done' | 'failed';
  error?: string;
  /** Large files go in parts (the SDK's multipart upload). */
  multipart: boolean;
}

export const queued = (f: File): Upload => ({
  name: f.name,
  size: f.size,
  sent: 0,
  state: 'queued',
  multipart: f.size > MULTIPART_THRESHOLD,
});

/**
 * Uploads `files` into a batch two at a time, reporting each file's progress through
 * `onChange(index, upload)`.
 */
export async function uploadAll(
  client: Runbox,
  batchId: number,
  files: readonly File[],
  onChange: (index: number, u: Partial<Upload>) => void,
  parallel = 2,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const f = files[i]!;
      onChange(i, { state: 'uploading' });
      try {
        await client.batches.addFile(batchId, f.name, f, {
          onProgress: (sent) => onChange(i, { sent }),
        });
        onChange(i, { state: 'done', sent: f.size });
      } catch (err) {
        onChange(i, { state: 'failed', error: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
}

/** Local files into a batch, with a progress bar per file on a terminal. */
import { createReadStream, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import type { Runbox, UploadSource } from '../../client/src/index.js';
import { UsageError } from './exit-codes.js';
import type { Output } from './session.js';
import { formatBytes } from './terminal.js';

export interface LocalFile {
  path: string;
  /** The name in the batch. */
  name: string;
  size: number;
}

function statOrUsage(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `No such file: ${path}` : `Cannot read ${path}: ${code}`,
    );
  }
}

/**
 * The files to upload: each argument is a file, or a folder whose files (not its subfolders)
 * are taken. Checked before anything is created, so a typo costs nothing.
 */
export function localFiles(args: string[]): LocalFile[] {
  const files: LocalFile[] = [];
  for (const arg of args) {
    const st = statOrUsage(arg);
    if (st.isDirectory()) {
      const entries = readdirSync(arg, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
      if (entries.length === 0) throw new UsageError(`${arg} has no files in it.`);
      for (const name of entries) {
        const path = join(arg, name);
        files.push({ path, name, size: statOrUsage(path).size });
      }
    } else if (st.isFile()) {
      files.push({ path: arg, name: basename(arg), size: st.size });
    } else {
      throw new UsageError(`${arg} is not a file.`);
    }
  }
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.name);
    if (other !== undefined) {
      throw new UsageError(
        `Two files would both be named ${f.name} in the batch: ${other} and ${f.path}.`,
      );
    }
    seen.set(f.name, f.path);
  }
  return files;
}

/** A file's bytes as a stream that reports how much has been read (≈ sent) so far. */
function countingSource(file: LocalFile, onBytes: (n: number) => void): UploadSource {
  async function* read(): AsyncGenerator<Uint8Array> {
    let n = 0;
    for await (const chunk of createReadStream(file.path, { highWaterMark: 256 * 1024 })) {
      n += (chunk as Buffer).byteLength;
      onBytes(n);
      yield chunk as Buffer;
    }
  }
  return { stream: read(), size: file.size };
}

/**
 * Uploads one file after another. On a terminal each gets a bar (bytes, rate); elsewhere the
 * path is handed to the SDK as it is, so a dropped connection can be retried.
 */
export async function uploadFiles(
  client: Runbox,
  out: Output,
  batchId: number,
  files: LocalFile[],
): Promise<void> {
  for (const [i, file] of files.entries()) {
    if (!process.stderr.isTTY) {
      await client.batches.addFile(batchId, file.name, file.path);
      continue;
    }
    const label = files.length > 1 ? `[${i + 1}/${files.length}] ${file.name}` : file.name;
    const bar = out.progress(label, file.size, { unit: 'bytes' });
    try {
      await client.batches.addFile(
        batchId,
        file.name,
        countingSource(file, (n) => bar.update(n)),
      );
      bar.update(file.size);
      bar.finish();
    } catch (err) {
      bar.clear();
      throw err;
    }
  }
}

export const totalSize = (files: LocalFile[]) => formatBytes(files.reduce((n, f) => n + f.size, 0));

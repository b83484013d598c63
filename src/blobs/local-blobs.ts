import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { notFound } from '../contract/errors.js';
import {
  assertSafeKey,
  type BlobEntry,
  type Blobs,
  type BlobStat,
  type ByteRange,
  type ByteSource,
  type WriteLimits,
} from './blobs.js';
import { ByteCounter } from './byte-counter.js';

/** Attempts at placing a file whose folder another process keeps removing. */
const SHARED_RETRIES = 20;
/** The upload ids `createMultipart` hands out. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** Suffix of a folder in `tmp/` on its way out (see `deletePrefix`). */
const DELETING = '.deleting';

/**
 * Blobs in a local (or shared POSIX) directory. Objects live under `objects/`; every write goes
 * to `tmp/` first, is fsynced, then renamed into place, so a crash leaves either nothing or the
 * whole file. Multipart parts live under `multipart/<upload id>/` until completed.
 */
export class LocalBlobs implements Blobs {
  private readonly objects: string;
  private readonly tmp: string;
  private readonly multipart: string;

  constructor(root: string) {
    this.objects = join(root, 'objects');
    this.tmp = join(root, 'tmp');
    this.multipart = join(root, 'multipart');
  }

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.objects, key);
  }

  private tmpReady: Promise<unknown> | undefined;

  /**
   * Streams `source` into a fresh temp file, flushed to disk before it is closed, and returns
   * its path and size; removes it on failure. Stored files are read-only, so app code handed
   * one to read in place cannot change it by accident.
   */
  private async spool(source: ByteSource, limits: WriteLimits = {}) {
    this.tmpReady ??= mkdir(this.tmp, { recursive: true });
    await this.tmpReady;
    const file = join(this.tmp, randomBytes(12).toString('hex'));
    const counter = new ByteCounter(limits);
    const out = createWriteStream(file, { flags: 'wx', flush: true, mode: 0o444 });
    try {
      await pipeline(source, counter, out);
      return { file, size: counter.bytes };
    } catch (err) {
      // The file is opened asynchronously: a write refused early may open it after this point,
      // so wait until the stream has closed before removing it.
      if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()));
      await rm(file, { force: true });
      throw err;
    }
  }

  /**
   * Renames a spooled file into place. In a directory shared by several processes, another
   * one may remove the (emptied) parent folder between the mkdir and the rename: the folder
   * is made again and the rename retried.
   */
  private async place(file: string, target: string, makeDir = true): Promise<void> {
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (makeDir) await mkdir(dirname(target), { recursive: true });
          await rename(file, target);
          return;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (!makeDir || code !== 'ENOENT' || attempt >= SHARED_RETRIES) throw err;
        }
      }
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }

  async write(key: string, source: ByteSource, limits?: WriteLimits) {
    const target = this.path(key);
    const { file, size } = await this.spool(source, limits);
    await this.place(file, target);
    return { size };
  }

  /** Where the object can be read in place on this machine (no copy needed). */
  localPath(key: string): string {
    return this.path(key);
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const s = await this.stat(key);
    if (!s || s.kind !== 'file') throw notFound('File');
    return createReadStream(this.path(key), range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    try {
      const s = await stat(this.path(key));
      return {
        kind: s.isDirectory() ? 'folder' : 'file',
        size: s.isDirectory() ? 0 : s.size,
        modifiedAt: Math.floor(s.mtimeMs),
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<BlobEntry[]> {
    const dir = this.path(prefix);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    const entries: BlobEntry[] = [];
    for (const name of names) {
      const key = `${prefix}/${name}`;
      const s = await this.stat(key);
      if (s) entries.push({ ...s, name, key });
    }
    return entries;
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw err;
    }
  }

  /**
   * Moves the folder into `tmp/` in one rename, then removes it there: a write another
   * process makes into the folder meanwhile lands in a fresh folder (it came after the
   * deletion) instead of making the removal fail half-way.
   */
  async deletePrefix(prefix: string): Promise<number> {
    const dir = this.path(prefix);
    this.tmpReady ??= mkdir(this.tmp, { recursive: true });
    await this.tmpReady;
    const doomed = join(this.tmp, `${randomBytes(12).toString('hex')}${DELETING}`);
    try {
      await rename(dir, doomed);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 0;
      throw err;
    }
    // Its age in `tmp/` (what `sweepTemp` goes by) counts from now.
    const now = new Date();
    await utimes(doomed, now, now).catch(() => undefined);
    const count = await countFiles(doomed);
    await rm(doomed, { recursive: true, force: true });
    return count;
  }

  async createMultipart(key: string): Promise<string> {
    assertSafeKey(key);
    const id = randomBytes(16).toString('hex');
    await mkdir(join(this.multipart, id), { recursive: true });
    return id;
  }

  private partPath(uploadId: string, partNum: number): string {
    if (!UPLOAD_ID.test(uploadId)) throw notFound('Upload');
    return join(this.multipart, uploadId, String(partNum));
  }

  /** An aborted or completed upload is gone: its directory must not be brought back. */
  private async assertUploadExists(uploadId: string): Promise<void> {
    this.partPath(uploadId, 1);
    if (!(await isDirectory(join(this.multipart, uploadId)))) throw notFound('Upload');
  }

  async writePart(uploadId: string, partNum: number, source: ByteSource, limits: WriteLimits) {
    const target = this.partPath(uploadId, partNum);
    await this.assertUploadExists(uploadId);
    const hash = createHash('sha256');
    const hashing = async function* (src: ByteSource) {
      for await (const chunk of src as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        yield chunk;
      }
    };
    const { file, size } = await this.spool(Readable.from(hashing(source)), limits);
    // No mkdir: an abort that lands during the spool makes this rename fail instead.
    await this.place(file, target, false).catch((err: unknown) => {
      throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? notFound('Upload') : err;
    });
    return { etag: hash.digest('hex').slice(0, 32), size };
  }

  async completeMultipart(uploadId: string, key: string, parts: { partNum: number }[]) {
    const target = this.path(key);
    const paths = parts.map((p) => this.partPath(uploadId, p.partNum));
    await this.assertUploadExists(uploadId);
    async function* concat() {
      for (const p of paths) yield* createReadStream(p);
    }
    const { file, size } = await this.spool(Readable.from(concat()));
    await this.place(file, target);
    await rm(join(this.multipart, uploadId), { recursive: true, force: true });
    return { size };
  }

  /** An id this storage never hands out (one of another storage's) has nothing to abort. */
  async abortMultipart(uploadId: string, _key: string): Promise<void> {
    if (!UPLOAD_ID.test(uploadId)) return;
    await rm(join(this.multipart, uploadId), { recursive: true, force: true });
  }

  /**
   * Removes files left in `tmp/` by writes that never finished (the process died mid-write),
   * and folders a deletion had moved there, untouched for more than `olderThanMs`; returns
   * how many went. A live write keeps
   * touching its file, but one whose client stalls past the threshold loses it and fails
   * (it never stores a partial object), so use hours, not seconds. Multipart uploads live
   * elsewhere and are not touched: their sessions own them.
   */
  async sweepTemp(olderThanMs: number, now: number): Promise<number> {
    let entries;
    try {
      entries = await readdir(this.tmp, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const entry of entries) {
      const doomed = entry.isDirectory() && entry.name.endsWith(DELETING);
      if (!entry.isFile() && !doomed) continue;
      const file = join(this.tmp, entry.name);
      try {
        if (now - (await stat(file)).mtimeMs <= olderThanMs) continue;
        if (doomed) await rm(file, { recursive: true, force: true });
        else await unlink(file);
        removed++;
      } catch (err) {
        // Renamed into place or removed by someone else meanwhile: nothing left to sweep.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return removed;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function countFiles(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 0;
    if (code === 'ENOTDIR') return 1;
    throw err;
  }
  return entries.filter((e) => e.isFile()).length;
}

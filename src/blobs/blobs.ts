/**
 * File storage for uploads, batch files, workspace files and (later) run outputs. Keys are
 * `/`-separated relative paths; a "folder" is a key prefix. Writes are streamed and atomic: a
 * reader sees the whole old object or the whole new one, never part of either.
 */
import type { Readable } from 'node:stream';

export type ByteSource = Readable | AsyncIterable<Uint8Array>;

export interface WriteLimits {
  /** Refuse (payload-too-large) once more bytes than this arrive; nothing is kept. */
  maxBytes?: number;
  /** Refuse (invalid-input) unless exactly this many bytes arrive; nothing is kept. */
  exactBytes?: number;
}

export interface BlobStat {
  kind: 'file' | 'folder';
  size: number;
  /** Milliseconds since the epoch. */
  modifiedAt: number;
}

export interface BlobEntry extends BlobStat {
  /** The last segment of the key. */
  name: string;
  key: string;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface Blobs {
  write(key: string, source: ByteSource, limits?: WriteLimits): Promise<{ size: number }>;
  /** Throws record-not-found when there is no file at `key`. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<BlobStat | undefined>;
  /** A path to read the object in place, when the storage is this machine's disk; else absent. */
  localPath?(key: string): string;
  /** The immediate children of a folder, sorted by name. */
  list(prefix: string): Promise<BlobEntry[]>;
  /** Deletes one file; deleting what is not there succeeds. */
  delete(key: string): Promise<void>;
  /** Deletes every file under a folder; returns how many went. Idempotent. */
  deletePrefix(prefix: string): Promise<number>;

  /** Starts a multipart upload whose parts are assembled into `key` on completion. */
  createMultipart(key: string): Promise<string>;
  writePart(
    uploadId: string,
    partNum: number,
    source: ByteSource,
    limits: WriteLimits,
  ): Promise<{ etag: string; size: number }>;
  /** Assembles the parts, in the order given, into the object; atomic like `write`. */
  completeMultipart(
    uploadId: string,
    key: string,
    parts: { partNum: number; etag: string }[],
  ): Promise<{ size: number }>;
  abortMultipart(uploadId: string, key: string): Promise<void>;
  /** Releases connections; the instance is not used afterwards. */
  close?(): void;
}

/** Rejects keys that could escape the storage root. Services validate paths first; this is the backstop. */
export function assertSafeKey(key: string): void {
  if (
    key === '' ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    key.split('/').some((s) => s === '..' || s === '.' || s === '')
  ) {
    throw new Error(`Unsafe blob key: ${JSON.stringify(key)}`);
  }
}

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { finished, PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isNotFound, notFound } from '../contract/errors.js';
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
import { fromS3 } from './s3-errors.js';
import { uploadStream } from './s3-upload.js';

export interface S3BlobsOptions {
  client: S3Client;
  bucket: string;
  /** Where under the bucket the keys go: `''` for the bucket's root, else `a/b` (no slashes around). */
  prefix: string;
  /** Part size of writes longer than one part (at least S3's minimum of 5 MiB). */
  uploadPartBytes?: number;
  /** Parts of one such write sent at once; each holds `uploadPartBytes` in memory. */
  uploadQueueSize?: number;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

/**
 * Blobs in an S3 bucket (or any S3-compatible service), under an optional key prefix. A write
 * becomes visible only when S3 has the whole object (PutObject, or CompleteMultipartUpload for
 * large bodies, both atomic), so an acknowledged write is durable and a failed one leaves
 * nothing. Folders are key prefixes: they exist while a file is under them.
 */
export class S3Blobs implements Blobs {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly root: string;
  private readonly partBytes: number;
  private readonly queueSize: number;

  constructor(opts: S3BlobsOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.root = opts.prefix === '' ? '' : `${opts.prefix}/`;
    this.partBytes = Math.max(MIN_PART_BYTES, opts.uploadPartBytes ?? MIN_PART_BYTES);
    this.queueSize = Math.max(1, opts.uploadQueueSize ?? 2);
  }

  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return this.root + key;
  }

  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw fromS3(err, what);
    }
  }

  async write(key: string, source: ByteSource, limits?: WriteLimits) {
    const Key = this.objectKey(key);
    const counter = new ByteCounter(limits ?? {});
    // Piped, not pipelined: a failure does not destroy the source (an HTTP request body
    // still arriving, which would take the connection with it); what is left of it is read
    // and dropped, as Node does with a body nobody reads, so the client gets its answer.
    const input = source instanceof Readable ? source : Readable.from(source);
    // An error, or an end that never came (a client that went away), fails the write.
    finished(input, { writable: false }, (err) => {
      if (err) counter.destroy(err);
    });
    input.pipe(counter);
    try {
      await uploadStream(
        {
          client: this.client,
          Bucket: this.bucket,
          Key,
          partBytes: this.partBytes,
          queueSize: this.queueSize,
        },
        counter,
      );
    } catch (err) {
      // A failed source or a broken limit destroyed the counter with its own error.
      const own = counter.errored;
      input.unpipe(counter);
      if (!own) counter.destroy();
      if (!input.destroyed) input.resume();
      throw own ?? fromS3(err, 'File');
    }
    return { size: counter.bytes };
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.objectKey(key);
    const res = await this.send('File', () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      ),
    );
    const body = res.Body;
    if (!body) return Readable.from([]);
    const stream =
      body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as never);
    // A body that breaks off (S3 stalled or went away part way) fails as a failed open does:
    // unavailable, not as a raw socket error that a reader could take for a missing file.
    const out = new PassThrough();
    stream.once('error', (err) => out.destroy(fromS3(err, 'File')));
    out.once('close', () => stream.destroy());
    return stream.pipe(out);
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    const Key = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        kind: 'file',
        size: head.ContentLength ?? 0,
        modifiedAt: head.LastModified?.getTime() ?? 0,
      };
    } catch (err) {
      const e = fromS3(err, 'File');
      if (!isNotFound(e)) throw e;
    }
    // No object: a folder when some object lies under it.
    const under = await this.send('Folder', () =>
      this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${Key}/`, MaxKeys: 1 }),
      ),
    );
    const first = under.Contents?.[0];
    if (!first) return undefined;
    return { kind: 'folder', size: 0, modifiedAt: first.LastModified?.getTime() ?? 0 };
  }

  async list(prefix: string): Promise<BlobEntry[]> {
    const base = `${this.objectKey(prefix)}/`;
    const entries: BlobEntry[] = [];
    let token: string | undefined;
    do {
      const page = await this.send('Folder', () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: base,
            Delimiter: '/',
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ),
      );
      for (const o of page.Contents ?? []) {
        const name = (o.Key ?? '').slice(base.length);
        if (name === '') continue;
        entries.push({
          kind: 'file',
          name,
          key: `${prefix}/${name}`,
          size: o.Size ?? 0,
          modifiedAt: o.LastModified?.getTime() ?? 0,
        });
      }
      for (const p of page.CommonPrefixes ?? []) {
        const name = (p.Prefix ?? '').slice(base.length, -1);
        if (name === '') continue;
        entries.push({ kind: 'folder', name, key: `${prefix}/${name}`, size: 0, modifiedAt: 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // The same order as a directory listing sorted in JavaScript (S3 sorts by UTF-8 bytes).
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.send('File', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })),
    );
  }

  /**
   * Lists the folder a thousand keys at a time and removes each page with one DeleteObjects;
   * listing again from the start (not from a continuation token) sees what is left, so keys
   * written meanwhile go too, and a page that S3 refused in part fails the call.
   */
  async deletePrefix(prefix: string): Promise<number> {
    const base = `${this.objectKey(prefix)}/`;
    let removed = 0;
    for (;;) {
      const page = await this.send('Folder', () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, MaxKeys: DELETE_BATCH }),
        ),
      );
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k) => k !== undefined);
      if (keys.length === 0) return removed;
      const res = await this.send('Folder', () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw fromS3(
          { name: first?.Code, message: first?.Message, $metadata: { httpStatusCode: 503 } },
          'Folder',
        );
      }
      removed += keys.length;
    }
  }

  /**
   * S3 names an upload by its key and its id together, and a part may arrive at any process:
   * the id handed out carries the key (`<base64url key>.<S3 upload id>`), so no process needs
   * to remember it.
   */
  async createMultipart(key: string): Promise<string> {
    const Key = this.objectKey(key);
    const res = await this.send('File', () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key })),
    );
    if (!res.UploadId) throw new Error('The file storage returned no upload id.');
    return `${Buffer.from(key).toString('base64url')}.${res.UploadId}`;
  }

  /** The object key and S3's id of an upload id from `createMultipart`, checked against `key`. */
  private upload(uploadId: string, key?: string): { Key: string; UploadId: string } {
    const dot = uploadId.indexOf('.');
    if (dot < 1 || dot === uploadId.length - 1) throw notFound('Upload');
    const own = Buffer.from(uploadId.slice(0, dot), 'base64url').toString('utf8');
    try {
      assertSafeKey(own);
    } catch {
      throw notFound('Upload');
    }
    if (key !== undefined && this.objectKey(key) !== this.root + own) throw notFound('Upload');
    return { Key: this.root + own, UploadId: uploadId.slice(dot + 1) };
  }

  /**
   * Parts are read into memory before they are sent: their length is known up front (S3
   * needs it), a limit is enforced before anything is stored, and the SDK can retry a request
   * with the same bytes. Parts are bounded by the configured part size.
   */
  async writePart(uploadId: string, partNum: number, source: ByteSource, limits: WriteLimits) {
    const { Key, UploadId } = this.upload(uploadId);
    const body = await collect(source, limits);
    const res = await this.send('Upload', () =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key,
          UploadId,
          PartNumber: partNum,
          Body: body,
          ContentLength: body.length,
        }),
      ),
    );
    if (!res.ETag) throw new Error('The file storage returned no ETag for the part.');
    return { etag: res.ETag.replace(/"/g, ''), size: body.length };
  }

  async completeMultipart(
    uploadId: string,
    key: string,
    parts: { partNum: number; etag: string }[],
  ): Promise<{ size: number }> {
    const { Key, UploadId } = this.upload(uploadId, key);
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId,
          MultipartUpload: {
            Parts: parts.map((p) => ({ PartNumber: p.partNum, ETag: `"${p.etag}"` })),
          },
        }),
      );
    } catch (err) {
      const e = fromS3(err, 'Upload');
      // A commit retried after its answer was lost finds the upload gone and its object in
      // place: an upload's key is its own (Runbox gives each upload a fresh one), so the
      // object there is this upload's.
      const done = isNotFound(e) ? await this.stat(key) : undefined;
      if (done?.kind !== 'file') throw e;
      return { size: done.size };
    }
    const s = await this.stat(key);
    if (!s || s.kind !== 'file') throw notFound('File');
    return { size: s.size };
  }

  /** An id this storage never handed out for `key` (one of another storage's) has nothing to abort. */
  async abortMultipart(uploadId: string, key: string): Promise<void> {
    let Key: string, UploadId: string;
    try {
      ({ Key, UploadId } = this.upload(uploadId, key));
    } catch {
      return;
    }
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }),
      );
    } catch (err) {
      const e = fromS3(err, 'Upload');
      // Aborting what is already gone succeeds, as deleting does.
      if (!isNotFound(e)) throw e;
    }
  }
}

/** Reads a whole source into one buffer, applying the limits as it goes. */
async function collect(source: ByteSource, limits: WriteLimits): Promise<Buffer> {
  const counter = new ByteCounter(limits);
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  await pipeline(source, counter, sink);
  return Buffer.concat(chunks);
}

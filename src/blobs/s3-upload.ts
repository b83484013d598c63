import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

export interface StreamUpload {
  client: S3Client;
  Bucket: string;
  Key: string;
  /** Size of each part but the last (at least S3's minimum of 5 MiB). */
  partBytes: number;
  /** Parts sent at once; each holds `partBytes` in memory. */
  queueSize: number;
}

/**
 * Stores a body of unknown length as one object: a body that fits in one part is one
 * PutObject; a longer one is a multipart upload, its parts sent while the next is read. Either
 * way the object appears whole or not at all. The first failure ends it at once, even while
 * the body is still arriving (the body is destroyed); a failed multipart upload is aborted.
 *
 * (lib-storage's `Upload` does the same but, when a part fails while the body is slow, waits
 * for the body to end before it reports the failure.)
 */
export async function uploadStream(u: StreamUpload, body: Readable): Promise<void> {
  const chunks = chunksOf(body, u.partBytes)[Symbol.asyncIterator]();
  const first = await chunks.next();
  const second = first.done ? first : await chunks.next();
  const only = first.done ? Buffer.alloc(0) : first.value;
  if (second.done) {
    await u.client.send(
      new PutObjectCommand({
        Bucket: u.Bucket,
        Key: u.Key,
        Body: only,
        ContentLength: only.length,
      }),
    );
    return;
  }
  const created = await u.client.send(
    new CreateMultipartUploadCommand({ Bucket: u.Bucket, Key: u.Key }),
  );
  const UploadId = created.UploadId;
  if (!UploadId) throw new Error('The file storage returned no upload id.');
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let signalFailure: () => void = () => undefined;
  const failed = new Promise<undefined>((r) => (signalFailure = () => r(undefined)));
  const send = (PartNumber: number, Body: Buffer) => {
    const sending: Promise<void> = u.client
      .send(
        new UploadPartCommand({
          Bucket: u.Bucket,
          Key: u.Key,
          UploadId,
          PartNumber,
          Body,
          ContentLength: Body.length,
        }),
      )
      .then(
        (res) => {
          parts.push({ PartNumber, ETag: res.ETag });
        },
        (err: unknown) => {
          failure ??= { err };
          signalFailure();
        },
      )
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  };
  try {
    send(1, only);
    send(2, second.value);
    for (let n = 3; ; n++) {
      while (inFlight.size >= u.queueSize && !failure) await Promise.race(inFlight);
      if (failure) break;
      const reading = chunks.next();
      // Settled either way, even when a failed part wins the race and the body is destroyed.
      reading.catch(() => undefined);
      const next = await Promise.race([reading, failed]);
      if (!next || next.done) break;
      send(n, next.value);
    }
    if (failure) throw failure.err;
    await Promise.all(inFlight);
    if (failure) throw (failure as { err: unknown }).err;
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await u.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: u.Bucket,
        Key: u.Key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    body.destroy();
    await Promise.allSettled(inFlight);
    const aborting = u.client
      .send(new AbortMultipartUploadCommand({ Bucket: u.Bucket, Key: u.Key, UploadId }))
      .then(
        () => undefined,
        () => undefined,
      );
    // A failing S3 is not waited for a second time: the abort finishes (or a bucket lifecycle
    // rule removes the parts) in the background. A failed body leaves S3 healthy: wait.
    if (failure === undefined) await aborting;
    throw err;
  }
}

/** The body cut into buffers of exactly `size` bytes but the last; one empty buffer for none. */
async function* chunksOf(body: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  let yielded = false;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    pending.push(b);
    length += b.length;
    while (length >= size) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      yield all.subarray(0, size);
      yielded = true;
      pending = length > size ? [all.subarray(size)] : [];
      length -= size;
    }
  }
  if (length > 0 || !yielded) yield Buffer.concat(pending);
}

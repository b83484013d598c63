import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalBlobs } from '../../src/blobs/local-blobs.js';
import { S3Blobs } from '../../src/blobs/s3-blobs.js';
import { createS3Client } from '../../src/blobs/open-blobs.js';
import { loadStorageConfig } from '../../src/blobs/storage-config.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';
import { blobContract } from './blob-contract.js';
import { bytes, expectRunboxError, readAll } from './blob-helpers.js';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

/** S3Blobs as Runbox configures it from its environment, in a fresh bucket, under `prefix`. */
async function freshBlobs(prefix: string): Promise<{ blobs: S3Blobs; bucket: string }> {
  const bucket = await s3.createBucket();
  return { blobs: sameBucket(bucket, prefix), bucket };
}

async function readBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

blobContract('S3Blobs', async () => {
  const { blobs } = await freshBlobs('runbox/blobs');
  return { blobs, cleanup: async () => blobs.close() };
});

describe('S3Blobs in a bucket', () => {
  let bucket: string;
  let blobs: S3Blobs;
  beforeEach(async () => {
    ({ blobs, bucket } = await freshBlobs('base/dir'));
  });
  afterEach(() => blobs.close());

  it('keeps every object under its prefix, unseen by a neighbour on another prefix', async () => {
    await blobs.write('a/b.txt', bytes('x'));
    const id = await blobs.createMultipart('a/c.bin');
    const p1 = await blobs.writePart(id, 1, bytes('y'), {});
    await blobs.completeMultipart(id, 'a/c.bin', [{ partNum: 1, etag: p1.etag }]);
    const neighbour = sameBucket(bucket, 'base');
    await neighbour.write('dir2/n.txt', bytes('n'));

    expect(await s3.keys(bucket)).toEqual([
      'base/dir/a/b.txt',
      'base/dir/a/c.bin',
      'base/dir2/n.txt',
    ]);
    expect(await neighbour.deletePrefix('dir')).toBe(2);
    expect(await blobs.list('a')).toEqual([]);
    expect(await s3.keys(bucket)).toEqual(['base/dir2/n.txt']);
    neighbour.close();
  });

  it('stores names with spaces, reserved URL characters and non-ASCII letters as they are', async () => {
    const names = [
      'a b.txt',
      'plus+sign.txt',
      'per%25cent.txt',
      'hash#q?.txt',
      'Zoë & Ünïcødé.txt',
    ];
    for (const n of names) await blobs.write(`odd dir/${n}`, bytes(n));

    expect((await blobs.list('odd dir')).map((e) => e.name)).toEqual([...names].sort());
    for (const n of names) {
      expect(await readAll(await blobs.read(`odd dir/${n}`))).toBe(n);
      expect(await blobs.stat(`odd dir/${n}`)).toMatchObject({
        kind: 'file',
        size: Buffer.byteLength(n),
      });
    }
    expect(await s3.keys(bucket)).toEqual(names.map((n) => `base/dir/odd dir/${n}`).sort());
    expect(await blobs.deletePrefix('odd dir')).toBe(names.length);
    expect(await s3.keys(bucket)).toEqual([]);
  });

  it('deletes a folder of more than a thousand objects, page by page', async () => {
    const keys = Array.from({ length: 1_003 }, (_, i) => `many/f${String(i).padStart(4, '0')}`);
    // Straight into the bucket, sixteen at a time: the setup, not the subject.
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(
        keys
          .slice(i, i + 16)
          .map((k) =>
            s3.client.send(
              new PutObjectCommand({ Bucket: bucket, Key: `base/dir/${k}`, Body: 'x' }),
            ),
          ),
      );
    }
    await blobs.write('many-not/kept.txt', bytes('k'));

    expect(await blobs.list('many')).toHaveLength(1_003);
    expect(await blobs.deletePrefix('many')).toBe(1_003);

    expect(await s3.keys(bucket)).toEqual(['base/dir/many-not/kept.txt']);
  });

  it('takes the parts of an upload in any process: the upload id is enough', async () => {
    const other = sameBucket(bucket, 'base/dir');
    const id = await blobs.createMultipart('mp/shared.bin');
    const p1 = await other.writePart(id, 1, bytes('from '), { exactBytes: 5 });
    const p2 = await blobs.writePart(id, 2, bytes('two'), {});

    expect(
      await other.completeMultipart(id, 'mp/shared.bin', [
        { partNum: 1, etag: p1.etag },
        { partNum: 2, etag: p2.etag },
      ]),
    ).toEqual({ size: 8 });
    expect(await readAll(await blobs.read('mp/shared.bin'))).toBe('from two');
    other.close();
  });

  it('answers a commit retried after its answer was lost as the first one', async () => {
    const id = await blobs.createMultipart('mp/once.bin');
    const parts = [{ partNum: 1, etag: (await blobs.writePart(id, 1, bytes('whole'), {})).etag }];
    expect(await blobs.completeMultipart(id, 'mp/once.bin', parts)).toEqual({ size: 5 });

    expect(await blobs.completeMultipart(id, 'mp/once.bin', parts)).toEqual({ size: 5 });
    expect(await readAll(await blobs.read('mp/once.bin'))).toBe('whole');
    // An upload that was aborted, not completed, has no object to find.
    const gone = await blobs.createMultipart('mp/gone.bin');
    const p1 = await blobs.writePart(gone, 1, bytes('x'), {});
    await blobs.abortMultipart(gone, 'mp/gone.bin');
    await expectRunboxError(
      blobs.completeMultipart(gone, 'mp/gone.bin', [{ partNum: 1, etag: p1.etag }]),
      'record-not-found',
    );
  });

  it('aborts of the other storage’s upload ids (after moving storages) succeed and touch nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbox-blobs-'));
    try {
      const local = new LocalBlobs(dir);
      const localId = await local.createMultipart('mp/l.bin');
      await local.writePart(localId, 1, bytes('local part'), {});
      const s3Id = await blobs.createMultipart('mp/s.bin');
      await blobs.writePart(s3Id, 1, bytes('s3 part'), {});

      await blobs.abortMultipart(localId, 'mp/l.bin');
      await local.abortMultipart(s3Id, 'mp/s.bin');

      expect(s3.openUploads(bucket)).toHaveLength(1);
      const p = await local.writePart(localId, 2, bytes('!'), {});
      expect(p.size).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses upload ids it did not make and a key other than the upload’s, changing nothing', async () => {
    const id = await blobs.createMultipart('mp/own.bin');
    const p1 = await blobs.writePart(id, 1, bytes('data'), {});

    for (const bad of [
      '',
      'no-dot',
      '.x',
      'eA.',
      `${Buffer.from('../x').toString('base64url')}.id`,
    ]) {
      await expectRunboxError(blobs.writePart(bad, 1, bytes('x'), {}), 'record-not-found');
    }
    const forged = `${Buffer.from('mp/own.bin').toString('base64url')}.not-an-upload`;
    await expectRunboxError(blobs.writePart(forged, 1, bytes('x'), {}), 'record-not-found');
    await expectRunboxError(
      blobs.completeMultipart(id, 'mp/other.bin', [{ partNum: 1, etag: p1.etag }]),
      'record-not-found',
    );

    expect(await s3.keys(bucket)).toEqual([]);
    expect(s3.openUploads(bucket)).toHaveLength(1);
    await blobs.abortMultipart(id, 'mp/own.bin');
    expect(s3.openUploads(bucket)).toEqual([]);
  });

  it('a large write whose source fails after some parts leaves no object and no open upload', async () => {
    await blobs.write('large.bin', bytes('old'));
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const source = (async function* () {
      // More than two 5 MiB parts: the SDK has started a multipart upload and sent parts.
      for (let i = 0; i < 12; i++) yield chunk;
      throw new Error('client went away');
    })();

    await expect(blobs.write('large.bin', source)).rejects.toThrow('client went away');

    expect(await readAll(await blobs.read('large.bin'))).toBe('old');
    expect(s3.openUploads(bucket)).toEqual([]);
    await expectRunboxError(
      blobs.write('large.bin', Readable.from([chunk, chunk, chunk, chunk, chunk, chunk]), {
        maxBytes: 5 * chunk.length,
      }),
      'payload-too-large',
    );
    expect(await readAll(await blobs.read('large.bin'))).toBe('old');
    expect(s3.openUploads(bucket)).toEqual([]);
  });

  it('reads a range of a large object and says a range past its end is unsatisfiable', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 253;
    expect(await blobs.write('r.bin', Readable.from([big]))).toEqual({ size: big.length });

    const back = await readBytes(await blobs.read('r.bin', { start: 5_000_000, end: 5_300_000 }));
    expect(back.equals(big.subarray(5_000_000, 5_300_001))).toBe(true);
    await expectRunboxError(
      blobs.read('r.bin', { start: big.length, end: big.length + 5 }),
      'range-not-satisfiable',
    );
  });
});

/** Another S3Blobs on `bucket`, as another process would open it. */
function sameBucket(bucket: string, prefix: string): S3Blobs {
  const config = loadStorageConfig(s3.env(bucket, prefix), '/unused');
  if (config.kind !== 's3') throw new Error('expected S3 storage');
  return new S3Blobs({ client: createS3Client(config), bucket, prefix: config.prefix });
}

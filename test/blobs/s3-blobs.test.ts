import { afterAll, beforeAll } from 'vitest';
import { S3Blobs } from '../../src/blobs/s3-blobs.js';
import { createS3Client } from '../../src/blobs/open-blobs.js';
import { loadStorageConfig } from '../../src/blobs/storage-config.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';
import { blobContract } from './blob-contract.js';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

/** S3Blobs as Runbox configures it from its environment, in a fresh bucket, under `prefix`. */
async function freshBlobs(prefix: string): Promise<S3Blobs> {
  const bucket = await s3.createBucket();
  const config = loadStorageConfig(s3.env(bucket, prefix), '/unused');
  if (config.kind !== 's3') throw new Error('expected S3 storage');
  return new S3Blobs({ client: createS3Client(config), bucket, prefix: config.prefix });
}

blobContract('S3Blobs', async () => {
  const blobs = await freshBlobs('runbox/blobs');
  return { blobs, cleanup: async () => blobs.close() };
});

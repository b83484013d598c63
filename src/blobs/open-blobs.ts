import { S3Client } from '@aws-sdk/client-s3';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Blobs } from './blobs.js';
import { LocalBlobs } from './local-blobs.js';
import { S3Blobs } from './s3-blobs.js';
import type { StorageConfig } from './storage-config.js';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

/** Sockets kept open to S3 per process; requests beyond them wait for one. */
const MAX_SOCKETS = 64;

/**
 * A client that gives up on a stalled request after `socketTimeoutMs` without progress and
 * retries (bodies are buffers, so a retry sends the same bytes) up to `maxAttempts` times.
 */
export function createS3Client(c: S3Config): S3Client {
  // The SDK warns on every start under Node 20 that later releases will need Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const agent = { keepAlive: true, maxSockets: MAX_SOCKETS };
  return new S3Client({
    region: c.region,
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    forcePathStyle: c.forcePathStyle,
    followRegionRedirects: true,
    ...(c.credentials ? { credentials: c.credentials } : {}),
    maxAttempts: c.maxAttempts,
    retryMode: 'standard',
    // Checksums only where S3 requires them (DeleteObjects): the newer default (a trailing
    // checksum on every upload) is not understood by many S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: c.connectTimeoutMs,
      // Inactivity, not duration: a long transfer that keeps moving is never cut off.
      socketTimeout: c.socketTimeoutMs,
      httpAgent: new HttpAgent(agent),
      httpsAgent: new HttpsAgent(agent),
    },
  });
}

/** The blob storage `config` names. */
export function openBlobs(config: StorageConfig): Blobs {
  switch (config.kind) {
    case 'local':
      return new LocalBlobs(config.root);
    case 's3':
      return new S3Blobs({
        client: createS3Client(config),
        bucket: config.bucket,
        prefix: config.prefix,
      });
    default: {
      const never: never = config;
      throw new Error(`Unknown storage ${JSON.stringify(never)}`);
    }
  }
}

/**
 * An S3-compatible server on loopback for the tests (s3rver in a child process, see
 * s3-server.mjs), with a client for looking at the bucket directly, and the environment that
 * points Runbox at it. A test may stall it (`pause`/`resume`) to play a slow S3.
 */
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './poll.js';

const SCRIPT = fileURLToPath(new URL('./s3-server.mjs', import.meta.url));

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Server {
  endpoint: string;
  /** A client of the server, for setting up and inspecting buckets. */
  client: S3Client;
  /** Creates a bucket with a fresh name (at least 3 characters) and returns its name. */
  createBucket(): Promise<string>;
  /** Every key in a bucket (under `prefix`), sorted. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** Multipart uploads of a bucket that were neither completed nor aborted. */
  openUploads(bucket: string): string[];
  /** Resolves once a multipart upload of `bucket` has a part stored. */
  waitForUploadStarted(bucket: string): Promise<unknown>;
  /** The environment that makes Runbox store its blobs in `bucket` under `prefix`. */
  env(bucket: string, prefix?: string): Record<string, string>;
  /** Stops the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  /** Resolves once a request has reached the paused server (its bytes wait unread). */
  waitForStuckRequest(): Promise<unknown>;
  /**
   * Kills the process (paused or not; what it had not handled is lost, as with a crashed
   * node) and starts it again on the same port over the same stored data.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

let buckets = 0;

export function s3ClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** Starts s3rver over `dir` on `port` (0: any) and resolves once it listens. */
async function spawnServer(
  dir: string,
  port: number,
): Promise<{ child: ChildProcess; port: number }> {
  // s3rver encrypts its continuation tokens with DES, which OpenSSL 3 offers only this way.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', SCRIPT, dir, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return { child, port: listening };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Connections to `port` whose received bytes the server has not read: requests sent to a
 * stopped server. Read from the kernel's socket table (Linux).
 */
function unreadConnections(port: number): number {
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const queues = cols[4];
      if (!local || !queues) continue;
      const localPort = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      const rx = parseInt(queues.slice(queues.indexOf(':') + 1), 16);
      if (localPort === port && rx > 0) n++;
    }
  }
  return n;
}

export async function startS3Server(): Promise<S3Server> {
  // As Runbox does (open-blobs.ts): no warning that later SDK releases will need Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dir = mkdtempSync(join(tmpdir(), 'runbox-s3-'));
  const started = await spawnServer(dir, 0);
  const port = started.port;
  let child = started.child;
  const endpoint = `http://127.0.0.1:${port}`;
  const openUploads = (bucket: string) => {
    const uploads = join(dir, bucket, '._S3rver_uploads');
    return existsSync(uploads) ? readdirSync(uploads).sort() : [];
  };
  const client = new S3Client(s3ClientConfig(endpoint));
  return {
    endpoint,
    client,
    async createBucket() {
      const name = `bucket-${process.pid}-${buckets++}`;
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async keys(bucket, prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    openUploads,
    waitForUploadStarted(bucket) {
      const uploads = join(dir, bucket, '._S3rver_uploads');
      return until(`a part of a multipart upload in ${bucket}`, () =>
        openUploads(bucket).some((id) => existsSync(join(uploads, id, '1.md5'))) ? true : undefined,
      );
    },
    env(bucket, prefix = '') {
      return {
        RUNBOX_STORAGE_URL: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
        RUNBOX_S3_ENDPOINT: endpoint,
        RUNBOX_S3_REGION: 'us-east-1',
        RUNBOX_S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      };
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    waitForStuckRequest() {
      return until('a request held by the stopped S3 server', () =>
        unreadConnections(port) > 0 ? true : undefined,
      );
    },
    async restart() {
      await kill(child);
      ({ child } = await spawnServer(dir, port));
    },
    async stop() {
      client.destroy();
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

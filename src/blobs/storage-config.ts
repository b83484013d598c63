import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where blobs live: a directory (this machine's or a shared mount) or an S3 bucket. */
export type StorageConfig =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix inside the bucket, without slashes around it; '' for the bucket's root. */
      prefix: string;
      /** Unset: AWS's own endpoint for the region. */
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
      /** Unset: the SDK's default chain (environment, shared files, instance roles…). */
      credentials:
        { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
      connectTimeoutMs: number;
      /** How long a request may go without any bytes moving before it is given up. */
      socketTimeoutMs: number;
      /** Attempts per request, the first included (the SDK retries with backoff). */
      maxAttempts: number;
    };

/** S3 refuses parts (all but the last) smaller than this. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function intAtLeast(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`${name} must be an integer of at least ${min}, got "${v}"`);
  }
  return n;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new Error(`${name} must be true or false, got "${v}"`);
}

/**
 * Reads `RUNBOX_STORAGE_URL` (`s3://bucket/prefix`, `file:///path` or a plain path; unset:
 * `<data dir>/blobs`) and, for S3, the endpoint, region, addressing and credentials from the
 * standard AWS variables, each overridable by a `RUNBOX_S3_*` one.
 */
export function loadStorageConfig(env: NodeJS.ProcessEnv, dataDir: string): StorageConfig {
  const url = env.RUNBOX_STORAGE_URL?.trim();
  if (!url) return { kind: 'local', root: join(dataDir, 'blobs') };
  if (url.startsWith('file:')) {
    let root: string;
    try {
      root = fileURLToPath(url);
    } catch {
      throw new Error(`RUNBOX_STORAGE_URL: "${url}" is not a file:///absolute/path URL`);
    }
    return { kind: 'local', root };
  }
  if (!url.startsWith('s3://')) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
      throw new Error(
        `RUNBOX_STORAGE_URL: unsupported scheme in "${url}" (use s3://bucket/prefix, file:///path or a path)`,
      );
    }
    return { kind: 'local', root: isAbsolute(url) ? url : resolve(url) };
  }
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new Error(
      `RUNBOX_STORAGE_URL: "${bucket}" is not a bucket name (3-63 lowercase letters, digits, dots and hyphens)`,
    );
  }
  if (prefix !== '' && prefix.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`RUNBOX_STORAGE_URL: the prefix "${prefix}" has an empty, "." or ".." segment`);
  }
  const endpoint =
    env.RUNBOX_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new Error(`The S3 endpoint must be an http:// or https:// URL, got "${endpoint}"`);
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
  }
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  return {
    kind: 's3',
    bucket,
    prefix,
    endpoint,
    region: env.RUNBOX_S3_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    // S3-compatible servers at their own address rarely serve bucket subdomains.
    forcePathStyle: flag(env, 'RUNBOX_S3_FORCE_PATH_STYLE') ?? endpoint !== undefined,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
        : undefined,
    connectTimeoutMs: intAtLeast(env, 'RUNBOX_S3_CONNECT_TIMEOUT_MS', 5_000, 1),
    socketTimeoutMs: intAtLeast(env, 'RUNBOX_S3_SOCKET_TIMEOUT_MS', 30_000, 1),
    maxAttempts: intAtLeast(env, 'RUNBOX_S3_MAX_ATTEMPTS', 5, 1),
  };
}

/** Limits that S3 cannot honour are refused at start, not at the first large upload. */
export function checkStorageLimits(
  storage: StorageConfig,
  limits: { partBytes: number; maxFileBytes: number },
): void {
  if (storage.kind !== 's3') return;
  if (limits.partBytes < S3_MIN_PART_BYTES) {
    throw new Error(
      `RUNBOX_PART_BYTES must be at least ${S3_MIN_PART_BYTES} (5 MiB, S3's smallest part) with S3 storage, got ${limits.partBytes}`,
    );
  }
  if (Math.ceil(limits.maxFileBytes / limits.partBytes) > 10_000) {
    throw new Error(
      'RUNBOX_MAX_FILE_BYTES / RUNBOX_PART_BYTES must be at most 10000 (S3 takes at most 10000 parts)',
    );
  }
}

import { resolve } from 'node:path';
import {
  checkStorageLimits,
  loadStorageConfig,
  type StorageConfig,
} from './blobs/storage-config.js';
import type { RateLimitConfig } from './http/auth-hook.js';
import { DEFAULT_LIMITS, type Limits } from './services/limits.js';

/** Everything configurable, from flags and `RUNBOX_*` environment variables (flags win). */
export interface Config {
  port: number;
  host: string;
  /** Where `runbox worker` serves /healthz, /readyz and /metrics; none when undefined. */
  workerHealthPort: number | undefined;
  dataDir: string;
  /** `postgres://…` for Postgres; unset for the embedded SQLite file in the data directory. */
  databaseUrl: string | undefined;
  /** A Postgres schema other than `public`. */
  databaseSchema: string | undefined;
  /** Where files are stored (`RUNBOX_STORAGE_URL`): a directory or an S3 bucket. */
  storage: StorageConfig;
  /** Run the background workers in this process. */
  workers: boolean;
  /** Apply pending migrations at start; off: `runbox migrate` does, and an older schema is refused. */
  migrate: boolean;
  /** On SIGTERM, how long running work may take to finish before it is handed back to the queue. */
  shutdownGraceMs: number;
  /** Longest wait between two attempts to reach a store that does not answer. */
  storeRetryCapMs: number;
  rateLimit: RateLimitConfig;
  metricsRequireToken: boolean;
  limits: Limits;
  /** How long a claimed job stays leased without a heartbeat (a dead worker's jobs return after it). */
  jobLeaseMs: number;
  /** How long a claimed run stays leased without a heartbeat (a dead worker's runs return after it). */
  runLeaseMs: number;
  /** Time app code has to stop after the abort signal (cancel, timeout) before it is killed. */
  cancelGraceMs: number;
  logLevel: string;
  /** The key that seals secrets (base64 of 32 bytes); unset: generated into the data directory. */
  secretKey: string | undefined;
  webhooks: {
    /** Refuse webhook targets on loopback, private and link-local addresses. */
    refusePrivateNetworks: boolean;
    /** Time one delivery attempt may take. */
    timeoutMs: number;
    /** Delay before the first retry; each further retry doubles it. */
    retryBaseMs: number;
  };
  /** How often retention policies are applied. */
  retentionIntervalMs: number;
}

export interface ConfigFlags {
  port?: string | number;
  host?: string;
  healthPort?: string | number;
  workers?: boolean;
  migrate?: boolean;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a non-negative number, got "${v}"`);
  return n;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);
const falsy = (v: string | undefined) => v !== undefined && /^(0|false|no|off)$/i.test(v);

export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: ConfigFlags = {}): Config {
  const port = Number(flags.port ?? env.RUNBOX_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port ${port}`);
  const healthPortText = String(flags.healthPort ?? env.RUNBOX_WORKER_HEALTH_PORT ?? '').trim();
  const workerHealthPort = healthPortText === '' ? undefined : Number(healthPortText);
  if (
    workerHealthPort !== undefined &&
    (!/^\d+$/.test(healthPortText) || workerHealthPort > 65535)
  ) {
    throw new Error(`RUNBOX_WORKER_HEALTH_PORT must be a port number, got "${healthPortText}"`);
  }
  const dataDir = resolve(env.RUNBOX_DATA_DIR ?? '.runbox');
  const storage = loadStorageConfig(env, dataDir);
  const limits: Limits = {
    maxFileBytes: int(env, 'RUNBOX_MAX_FILE_BYTES', DEFAULT_LIMITS.maxFileBytes),
    partBytes: int(env, 'RUNBOX_PART_BYTES', DEFAULT_LIMITS.partBytes),
    maxRunFiles: int(env, 'RUNBOX_MAX_RUN_FILES', DEFAULT_LIMITS.maxRunFiles),
  };
  checkStorageLimits(storage, limits);
  return {
    port,
    host: flags.host ?? env.RUNBOX_HOST ?? '127.0.0.1',
    workerHealthPort,
    dataDir,
    databaseUrl: env.RUNBOX_DATABASE_URL || undefined,
    databaseSchema: env.RUNBOX_DATABASE_SCHEMA || undefined,
    storage,
    workers: flags.workers ?? !falsy(env.RUNBOX_WORKERS),
    migrate: flags.migrate ?? !falsy(env.RUNBOX_MIGRATE),
    shutdownGraceMs: int(env, 'RUNBOX_SHUTDOWN_GRACE_MS', 10_000),
    storeRetryCapMs: int(env, 'RUNBOX_STORE_RETRY_MAX_MS', 10_000),
    rateLimit: {
      enabled: !falsy(env.RUNBOX_RATE_LIMIT),
      rate: int(env, 'RUNBOX_RATE_LIMIT_RATE', 100),
      burst: int(env, 'RUNBOX_RATE_LIMIT_BURST', 1000),
    },
    metricsRequireToken: truthy(env.RUNBOX_METRICS_AUTH),
    limits,
    jobLeaseMs: int(env, 'RUNBOX_JOB_LEASE_MS', 30_000),
    runLeaseMs: int(env, 'RUNBOX_RUN_LEASE_MS', 30_000),
    cancelGraceMs: int(env, 'RUNBOX_CANCEL_GRACE_MS', 10_000),
    logLevel: env.RUNBOX_LOG_LEVEL ?? 'info',
    secretKey: env.RUNBOX_SECRET_KEY || undefined,
    webhooks: {
      refusePrivateNetworks: truthy(env.RUNBOX_WEBHOOK_REFUSE_PRIVATE),
      timeoutMs: int(env, 'RUNBOX_WEBHOOK_TIMEOUT_MS', 10_000),
      retryBaseMs: int(env, 'RUNBOX_WEBHOOK_RETRY_BASE_MS', 2_000),
    },
    retentionIntervalMs: int(env, 'RUNBOX_RETENTION_INTERVAL_MS', 600_000),
  };
}

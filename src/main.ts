/**
 * The composition root: the only place that picks concrete implementations (store backend,
 * blob storage, clock) and wires services, workers and the HTTP server together.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Blobs } from './blobs/blobs.js';
import { LocalBlobs } from './blobs/local-blobs.js';
import type { Config } from './config.js';
import type { Sources } from './domain/sources.js';
import { JobRunner } from './engine/job-runner.js';
import { deletionHandlers } from './engine/jobs/job-handlers.js';
import { Wakeup } from './engine/wakeup.js';
import type { Services } from './http/aihub/services.js';
import { buildServer } from './http/server.js';
import { AdminService } from './services/admin-service.js';
import { AuthService } from './services/auth-service.js';
import { BatchService } from './services/batch-service.js';
import { FileService } from './services/file-service.js';
import { JobService } from './services/job-service.js';
import { UploadService } from './services/upload-service.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export const systemSources: Sources = {
  clock: { now: () => Date.now() },
  ids: { uuid: () => randomUUID(), randomToken: (n) => randomBytes(n).toString('base64url') },
};

export function version(): string {
  const pkg = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

export interface Core {
  config: Config;
  store: Store;
  blobs: Blobs;
  sources: Sources;
  logger: Logger;
  wakeup: Wakeup;
  services: Services;
  admin: AdminService;
  close(): Promise<void>;
}

/** Opens the store (migrating it) and blob storage and builds the services. */
export async function createCore(
  config: Config,
  opts: { sources?: Sources; logger?: Logger; migrate?: boolean } = {},
): Promise<Core> {
  const sources = opts.sources ?? systemSources;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
    now: () => sources.clock.now(),
  });
  try {
    if (opts.migrate !== false) await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  const blobs = new LocalBlobs(join(config.dataDir, 'blobs'));
  const wakeup = new Wakeup();
  const jobs = new JobService(store, sources, wakeup);
  const batches = new BatchService(store, blobs, jobs, sources, config.limits);
  const services: Services = {
    auth: new AuthService(store, sources.clock),
    batches,
    uploads: new UploadService(store, blobs, batches, sources, config.limits),
    files: new FileService(store, blobs, jobs, config.limits),
    jobs,
  };
  return {
    config,
    store,
    blobs,
    sources,
    logger,
    wakeup,
    services,
    admin: new AdminService(store, sources),
    close: () => store.close(),
  };
}

export function createJobRunner(core: Core): JobRunner {
  return new JobRunner(
    {
      store: core.store,
      handlers: deletionHandlers(core.store, core.blobs),
      clock: core.sources.clock,
      wakeup: core.wakeup,
      log: core.logger.child({ component: 'jobs' }),
    },
    {
      owner: `${hostname()}:${process.pid}:${core.sources.ids.uuid().slice(0, 8)}`,
      leaseMs: core.config.jobLeaseMs,
    },
  );
}

export interface Runbox extends Core {
  app: FastifyInstance;
  jobRunner: JobRunner | undefined;
}

/** A whole server: HTTP plus (unless `config.workers` is false) the workers. Not yet listening. */
export async function createRunbox(
  config: Config,
  opts: { sources?: Sources; logger?: Logger } = {},
): Promise<Runbox> {
  const core = await createCore(config, opts);
  const app = await buildServer({
    services: core.services,
    store: core.store,
    sources: core.sources,
    logger: core.logger,
    options: {
      rateLimit: config.rateLimit,
      metricsRequireToken: config.metricsRequireToken,
      version: version(),
    },
  });
  const jobRunner = config.workers ? createJobRunner(core) : undefined;
  jobRunner?.start();
  return {
    ...core,
    app,
    jobRunner,
    async close() {
      await app.close();
      await jobRunner?.stop();
      await core.close();
    },
  };
}

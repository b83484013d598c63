import { projectPath } from './project-root.js';
/**
 * The composition root: the only place that picks concrete implementations (store backend,
 * blob storage, clock) and wires services, workers and the HTTP server together.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Blobs } from './blobs/blobs.js';
import { LocalBlobs } from './blobs/local-blobs.js';
import { openBlobs } from './blobs/open-blobs.js';
import type { Config } from './config.js';
import type { Sources } from './domain/sources.js';
import { JobRunner } from './engine/job-runner.js';
import { deletionHandlers } from './engine/jobs/job-handlers.js';
import { webhookHandlers } from './engine/webhooks/webhook-handlers.js';
import type { Services } from './http/aihub/services.js';
import { AdminService } from './services/admin-service.js';
import { AuthService } from './services/auth-service.js';
import { BatchService } from './services/batch-service.js';
import { FileService } from './services/file-service.js';
import { JobService } from './services/job-service.js';
import { UploadService } from './services/upload-service.js';
import { AppService } from './services/app-service.js';
import { RunService } from './services/run-service.js';
import { RunResultsService } from './services/run-results-service.js';
import { RunLogService } from './services/run-log-service.js';
import { RunDeletionService } from './services/run-deletion-service.js';
import { SecretService } from './services/secret-service.js';
import { DeploymentService } from './services/deployment-service.js';
import { ReviewService } from './services/review-service.js';
import { RetentionService } from './services/retention-service.js';
import { RunInputService } from './services/run-input-service.js';
import { RunFilesService } from './services/run-files-service.js';
import { OrgAdminService } from './services/org-admin-service.js';
import { RunResurrectionService } from './services/run-resurrection-service.js';
import { runWebhookBodies } from './http/run-webhook-bodies.js';
import { loadSecretKey, SecretBox } from './domain/secret-box.js';
import { RunSignals } from './engine/run-signals.js';
import { RunWorker } from './engine/run-worker.js';
import { RunWriter } from './engine/run-writer.js';
import { RunExecutor, type Materialize } from './engine/run-executor.js';
import { PackageCache } from './engine/packages/package-cache.js';
import { RuntimeRegistry } from './engine/runner/runtime-registry.js';
import { openStore } from './store/open-store.js';
import { prepareStore } from './store/prepare-store.js';
import type { Store } from './store/store.js';

export const systemSources: Sources = {
  clock: { now: () => Date.now() },
  ids: { uuid: () => randomUUID(), randomToken: (n) => randomBytes(n).toString('base64url') },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export interface Core {
  config: Config;
  store: Store;
  blobs: Blobs;
  sources: Sources;
  logger: Logger;
  signals: RunSignals;
  services: Services;
  admin: AdminService;
  /** Aborted once `close()` begins. */
  stopping: AbortSignal;
  close(): Promise<void>;
}

/**
 * Opens the store and blob storage and builds the services, without reaching the database yet
 * (a process can serve `/readyz` while its store is down); `waitForStore` does that.
 */
export function openCore(config: Config, opts: { sources?: Sources; logger?: Logger } = {}): Core {
  const sources = opts.sources ?? systemSources;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
    now: () => sources.clock.now(),
  });
  const blobs = openBlobs(config.storage);
  const signals = new RunSignals();
  const jobs = new JobService(store, sources, () => signals.newJobs());
  const batches = new BatchService(store, blobs, jobs, sources, config.limits);
  const files = new FileService(store, blobs, jobs, config.limits);
  const apps = new AppService(store, blobs, sources, join(config.dataDir, 'tmp'));
  const runs = new RunService({
    store,
    blobs,
    apps,
    batches,
    files,
    signals,
    sources,
    maxRunFiles: config.limits.maxRunFiles,
  });
  const box = SecretBox.fromKey(loadSecretKey(config.dataDir, config.secretKey));
  const runDeletion = new RunDeletionService(store, runs, jobs, sources);
  const admin = new AdminService(store, sources);
  const services: Services = {
    auth: new AuthService(store, sources.clock),
    batches,
    uploads: new UploadService(store, blobs, batches, sources, config.limits),
    files,
    jobs,
    apps,
    runs,
    runResults: new RunResultsService(store, runs),
    runLogs: new RunLogService(store, runs, signals, sources.clock),
    runDeletion,
    retention: new RetentionService(store, runDeletion, sources),
    runInputs: new RunInputService(batches),
    runResurrection: new RunResurrectionService(store, runs, signals, sources),
    secrets: new SecretService(store, box, sources),
    deployments: new DeploymentService(store, apps, runs, box, sources),
    review: new ReviewService(store, runs, sources, signals),
    runFiles: new RunFilesService(store, blobs, runs),
    admin,
    orgAdmin: new OrgAdminService(store, admin),
  };
  const stopping = new AbortController();
  return {
    config,
    store,
    blobs,
    sources,
    logger,
    signals,
    services,
    admin: services.admin,
    stopping: stopping.signal,
    close: async () => {
      stopping.abort();
      await store.close();
      blobs.close?.();
    },
  };
}

/** Opens the store and migrates it (unless `migrate` is false), failing at once if it cannot. */
export async function createCore(
  config: Config,
  opts: { sources?: Sources; logger?: Logger; migrate?: boolean } = {},
): Promise<Core> {
  const core = openCore(config, opts);
  if (opts.migrate === false) return core;
  try {
    await prepareStore(core.store, { migrate: true, retry: false });
  } catch (err) {
    await core.close();
    throw err;
  }
  return core;
}

/**
 * Waits until the store answers with a schema that fits (migrating it when configured),
 * retrying with capped, jittered backoff while it cannot be reached; a schema that does not
 * fit throws at once. Stops waiting when the process shuts down.
 */
export async function waitForStore(core: Core, opts: { retry: boolean }): Promise<void> {
  await prepareStore(core.store, {
    migrate: core.config.migrate,
    retry: opts.retry,
    retryCapMs: core.config.storeRetryCapMs,
    signal: core.stopping,
    onNewerSchema: (applied, known) =>
      core.logger.warn(
        { applied, known },
        'the database has migrations of a newer Runbox; upgrade this node soon',
      ),
    onRetry: (err, delayMs, attempt) =>
      core.logger.warn(
        { err: { message: (err as Error).message }, delayMs, attempt },
        'the store cannot be reached; trying again',
      ),
  });
}

export function createJobRunner(core: Core): JobRunner {
  return new JobRunner(
    {
      store: core.store,
      handlers: {
        ...deletionHandlers(core.store, core.blobs),
        ...webhookHandlers({
          store: core.store,
          clock: core.sources.clock,
          webhookSecret: (d) => core.services.deployments.webhookSecret(d),
          runWebhookBody: runWebhookBodies(core.store),
          timeoutMs: core.config.webhooks.timeoutMs,
          refusePrivateNetworks: core.config.webhooks.refusePrivateNetworks,
          onEnqueued: () => core.signals.newJobs(),
          log: core.logger.child({ component: 'webhooks' }),
        }),
      },
      clock: core.sources.clock,
      wakeup: core.signals.jobWork,
      log: core.logger.child({ component: 'jobs' }),
    },
    {
      owner: `${hostname()}:${process.pid}:${core.sources.ids.uuid().slice(0, 8)}`,
      leaseMs: core.config.jobLeaseMs,
      retryBaseMs: { 'deliver-webhook': core.config.webhooks.retryBaseMs },
      periodic: [
        {
          name: 'retention',
          everyMs: core.config.retentionIntervalMs,
          run: async () => {
            if ((await core.services.retention.sweep()) > 0) core.signals.newJobs();
          },
        },
      ],
    },
  );
}

/**
 * App code reads input files in place on local storage (the runtimes report a file that is
 * gone); otherwise from a temporary copy.
 */
function materializer(core: Core): Materialize {
  const dir = join(core.config.dataDir, 'work', 'inputs');
  const local = core.blobs.localPath?.bind(core.blobs);
  return async (key) => {
    if (local) {
      return { path: local(key), release: async () => undefined };
    }
    await mkdir(dir, { recursive: true });
    const path = join(dir, core.sources.ids.uuid());
    await pipeline(await core.blobs.read(key), createWriteStream(path));
    return { path, release: () => rm(path, { force: true }) };
  };
}

/**
 * Joins the signals of other processes (Postgres notifications) and clears what a crashed
 * process left behind. Called by every long-running process (server, worker).
 */
export async function startProcessServices(core: Core): Promise<void> {
  if (core.store.notifications) await core.signals.connect(core.store.notifications, core.logger);
  if (core.blobs instanceof LocalBlobs) {
    // Temp files older than an hour belong to no live write (a write takes seconds).
    core.blobs
      .sweepTemp(3_600_000, core.sources.clock.now())
      .catch((err: unknown) => core.logger.warn({ err }, 'sweeping temporary files failed'));
  }
}

export function createRunWorker(core: Core): { worker: RunWorker; close(): Promise<void> } {
  const log = core.logger.child({ component: 'runs' });
  const writer = new RunWriter({
    store: core.store,
    clock: core.sources.clock,
    signals: core.signals,
    log,
    newId: () => core.sources.ids.uuid(),
  });
  const runtimes = new RuntimeRegistry(core.config.cancelGraceMs);
  const executor = new RunExecutor({
    store: core.store,
    secrets: (run, keys) => core.services.secrets.forRun(run, keys),
    writer,
    packages: new PackageCache(join(core.config.dataDir, 'cache', 'apps'), core.blobs),
    runtimes,
    materialize: materializer(core),
    clock: core.sources.clock,
    workDir: join(core.config.dataDir, 'work', 'outputs'),
    log,
  });
  const worker = new RunWorker(
    {
      store: core.store,
      executor,
      writer,
      signals: core.signals,
      clock: core.sources.clock,
      ids: core.sources.ids,
      log,
    },
    {
      worker: `${hostname()}:${process.pid}:${core.sources.ids.uuid().slice(0, 8)}`,
      leaseMs: core.config.runLeaseMs,
      shutdownMs: core.config.shutdownGraceMs,
    },
  );
  return {
    worker,
    async close() {
      await worker.stop();
      await runtimes.close();
    },
  };
}

export interface Runbox extends Core {
  app: FastifyInstance;
  jobRunner: JobRunner | undefined;
  runWorker: RunWorker | undefined;
  /**
   * Reaches the store (retrying while it is down, when `retry`), joins the other processes'
   * signals and starts the workers; `/readyz` answers 503 until this is done.
   */
  start(opts?: { retry?: boolean; beforeReady?: () => Promise<void> }): Promise<void>;
}

/**
 * What `runbox worker` serves on `config.workerHealthPort` (health and metrics, no API), listening;
 * undefined when no port is configured. Listening before the store is reached, `/readyz` says
 * why the worker is not working yet.
 */
export async function listenForWorkerHealth(
  core: Core,
  notReady: () => string | undefined,
): Promise<FastifyInstance | undefined> {
  const { config } = core;
  if (config.workerHealthPort === undefined) return undefined;
  const { createWorkerHealthServer } = await import('./http/worker-health-server.js');
  const app = createWorkerHealthServer({
    store: core.store,
    auth: core.services.auth,
    clock: core.sources.clock,
    logger: core.logger,
    metricsRequireToken: config.metricsRequireToken,
    notReady,
  });
  await app.listen({ port: config.workerHealthPort, host: config.host });
  return app;
}

/**
 * A whole server: HTTP plus (unless `config.workers` is false) the workers. Not yet listening.
 * Started unless `start` is false: then the caller may listen first and call `start()`.
 */
export async function createRunbox(
  config: Config,
  opts: { sources?: Sources; logger?: Logger; start?: boolean } = {},
): Promise<Runbox> {
  const core = openCore(config, opts);
  let started = false;
  // Loaded here, not at the top: `runbox admin …` and `runbox worker` never pay for the HTTP stack.
  const { buildServer } = await import('./http/server.js');
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
    notReady: () => (started ? undefined : 'starting: reaching the store'),
  });
  const jobRunner = config.workers ? createJobRunner(core) : undefined;
  const runWorker = config.workers ? createRunWorker(core) : undefined;
  const runbox: Runbox = {
    ...core,
    app,
    jobRunner,
    runWorker: runWorker?.worker,
    async start(o = {}) {
      await waitForStore(core, { retry: o.retry ?? false });
      await startProcessServices(core);
      jobRunner?.start();
      runWorker?.worker.start();
      await o.beforeReady?.();
      started = true;
    },
    async close() {
      // Streams end and no new request is accepted; running work finishes or is handed back.
      await app.close();
      await runWorker?.close();
      await jobRunner?.stop(config.shutdownGraceMs);
      await core.close();
    },
  };
  if (opts.start !== false) {
    try {
      await runbox.start();
    } catch (err) {
      await app.close();
      await core.close();
      throw err;
    }
  }
  return runbox;
}

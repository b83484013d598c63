import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config.js';

/** Loaded when a command runs, so that usage errors and --help answer at once. */
const main = () => import('../main.js');

export const TOKEN_FILE = 'admin-token';

/** Closes cleanly on SIGTERM/SIGINT: stop accepting, let running work finish, close the store. */
function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${signal}: shutting down\n`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const NO_MIGRATE = '--no-migrate';
const NO_MIGRATE_HELP =
  'do not apply migrations (env RUNBOX_MIGRATE=0): `runbox migrate` does; an older schema is refused';

/**
 * Runs `start`; false if the process began shutting down meanwhile (its failure is then the
 * shutdown's doing, and the shutdown decides the exit code).
 */
async function startedUnlessStopped(
  stopping: AbortSignal,
  start: () => Promise<void>,
): Promise<boolean> {
  try {
    await start();
    return !stopping.aborted;
  } catch (err) {
    if (stopping.aborted) return false;
    throw err;
  }
}

/** A bad `--port` is a usage error (exit 2). */
function portOption(text: string): string {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('Use a port number from 0 to 65535.');
  }
  return text;
}

/** The example apps, published as the first admin so a new user can run one at once. */
async function publishBootstrapExamples(
  runbox: {
    services: { apps: import('../services/app-service.js').AppService };
    logger: { warn(o: object, m: string): void };
  },
  boot: { org: string; user: string },
): Promise<string[]> {
  const { publishExamples } = await import('../services/example-apps.js');
  try {
    const published = await publishExamples(runbox.services.apps, {
      userId: boot.user,
      userKind: 'user',
      tokenId: 'bootstrap',
      orgId: boot.org,
      role: 'admin',
      personal: true,
    });
    return published.map((v) => `${v.manifest.name} ${v.version}`);
  } catch (err) {
    runbox.logger.warn({ err }, 'publishing the example apps failed');
    return [];
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the API (and run the workers, unless --no-workers).')
    .option('-p, --port <port>', 'port to listen on (env RUNBOX_PORT, default 8080)', portOption)
    .option('-H, --host <host>', 'address to bind (env RUNBOX_HOST, default 127.0.0.1)')
    .option('--no-workers', 'serve the API only; run `runbox worker` elsewhere')
    .option(NO_MIGRATE, NO_MIGRATE_HELP)
    .action(async (opts: { port?: string; host?: string; workers: boolean; migrate: boolean }) => {
      const config = loadConfig(process.env, {
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.workers === false ? { workers: false } : {}),
        ...(opts.migrate === false ? { migrate: false } : {}),
      });
      const { createRunbox } = await main();
      const { bootstrapIfEmpty } = await import('../services/bootstrap.js');
      const runbox = await createRunbox(config, { start: false });
      // Listening first: while the store cannot be reached, /readyz says so (503).
      await runbox.app.listen({ port: config.port, host: config.host });
      onShutdown(() => runbox.close());
      let boot: Awaited<ReturnType<typeof bootstrapIfEmpty>>;
      let examples: string[] = [];
      // Ready (/readyz 200) once the first start's admin and example apps exist.
      const ready = () =>
        runbox.start({
          retry: true,
          beforeReady: async () => {
            boot = await bootstrapIfEmpty(runbox.store, runbox.admin);
            if (!boot) return;
            examples = await publishBootstrapExamples(runbox, boot);
            const file = join(config.dataDir, TOKEN_FILE);
            writeFileSync(file, `${boot.token}\n`, { mode: 0o600 });
            chmodSync(file, 0o600);
          },
        });
      if (!(await startedUnlessStopped(runbox.stopping, ready))) return;
      if (boot) {
        const address = runbox.app.server.address();
        const port = typeof address === 'object' && address ? address.port : config.port;
        const file = join(config.dataDir, TOKEN_FILE);
        process.stdout.write(
          [
            '',
            `Runbox is running at http://${config.host}:${port}/`,
            `  API root:    http://${config.host}:${port}/api`,
            `  Org:         ${boot.org}   User: ${boot.user} (admin)`,
            `  Admin token: ${boot.token}`,
            `  (shown once; also saved to ${file}, readable by you only)`,
            ...(examples.length > 0 ? [`  Example apps: ${examples.join(', ')}`] : []),
            '',
          ].join('\n') + '\n',
        );
      }
    });

  program
    .command('worker')
    .description('Run background workers only, against the configured database.')
    .option(
      '--health-port <port>',
      'serve /healthz, /readyz and /metrics on this port (env RUNBOX_WORKER_HEALTH_PORT; none by default)',
      portOption,
    )
    .option(
      '-H, --host <host>',
      'address the health port binds (env RUNBOX_HOST, default 127.0.0.1)',
    )
    .option(NO_MIGRATE, NO_MIGRATE_HELP)
    .action(async (opts: { healthPort?: string; host?: string; migrate: boolean }) => {
      const config = loadConfig(process.env, {
        ...(opts.healthPort !== undefined ? { healthPort: opts.healthPort } : {}),
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.migrate === false ? { migrate: false } : {}),
      });
      const {
        openCore,
        waitForStore,
        createJobRunner,
        createRunWorker,
        startProcessServices,
        listenForWorkerHealth,
      } = await main();
      const core = openCore(config);
      // The same workers `serve` runs in-process: runs and jobs.
      const runner = createJobRunner(core);
      const runs = createRunWorker(core);
      let started = false;
      let health: Awaited<ReturnType<typeof listenForWorkerHealth>> = undefined;
      onShutdown(async () => {
        await runs.close();
        await runner.stop(config.shutdownGraceMs);
        // Probes are answered until the work is handed over.
        await health?.close();
        await core.close();
      });
      health = await listenForWorkerHealth(core, () =>
        started ? undefined : 'starting: reaching the store',
      );
      started = await startedUnlessStopped(core.stopping, async () => {
        await waitForStore(core, { retry: true });
        await startProcessServices(core);
      });
      if (!started) return;
      runner.start();
      runs.worker.start();
      const at = health?.server.address();
      core.logger.info(
        typeof at === 'object' && at ? { healthPort: at.port } : {},
        'worker started',
      );
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit.')
    .action(async () => {
      const config = loadConfig(process.env);
      const { createCore } = await main();
      const core = await createCore(config, { migrate: false });
      try {
        const applied = await core.store.migrate();
        process.stdout.write(
          applied.length === 0
            ? 'The database is up to date.\n'
            : `Applied migrations: ${applied.join(', ')}\n`,
        );
      } finally {
        await core.close();
      }
    });
}

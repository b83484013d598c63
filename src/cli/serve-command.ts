import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createCore, createJobRunner, createRunbox } from '../main.js';
import { bootstrapIfEmpty } from '../services/bootstrap.js';

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

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the API (and run the workers, unless --no-workers).')
    .option('-p, --port <port>', 'port to listen on (env RUNBOX_PORT, default 8080)')
    .option('-H, --host <host>', 'address to bind (env RUNBOX_HOST, default 127.0.0.1)')
    .option('--no-workers', 'serve the API only; run `runbox worker` elsewhere')
    .action(async (opts: { port?: string; host?: string; workers: boolean }) => {
      const config = loadConfig(process.env, {
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.workers === false ? { workers: false } : {}),
      });
      const runbox = await createRunbox(config);
      const boot = await bootstrapIfEmpty(runbox.store, runbox.admin);
      await runbox.app.listen({ port: config.port, host: config.host });
      onShutdown(() => runbox.close());
      if (boot) {
        const address = runbox.app.server.address();
        const port = typeof address === 'object' && address ? address.port : config.port;
        const file = join(config.dataDir, TOKEN_FILE);
        writeFileSync(file, `${boot.token}\n`, { mode: 0o600 });
        chmodSync(file, 0o600);
        process.stdout.write(
          [
            '',
            `Runbox is running at http://${config.host}:${port}/`,
            `  API root:    http://${config.host}:${port}/api`,
            `  Org:         ${boot.org}   User: ${boot.user} (admin)`,
            `  Admin token: ${boot.token}`,
            `  (shown once; also saved to ${file}, readable by you only)`,
            '',
          ].join('\n') + '\n',
        );
      }
    });

  program
    .command('worker')
    .description('Run background workers only, against the configured database.')
    .action(async () => {
      const core = await createCore(loadConfig(process.env));
      const runner = createJobRunner(core);
      runner.start();
      core.logger.info('worker started');
      onShutdown(async () => {
        await runner.stop();
        await core.close();
      });
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit.')
    .action(async () => {
      const core = await createCore(loadConfig(process.env), { migrate: false });
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

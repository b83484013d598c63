import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import * as tar from 'tar';

/** Where the API is and who calls it: flags, then RUNBOX_API_ROOT / RUNBOX_TOKEN, then the local install. */
export function apiTarget(opts: { apiRoot?: string; token?: string }): {
  apiRoot: string;
  token: string;
} {
  const apiRoot = (
    opts.apiRoot ??
    process.env.RUNBOX_API_ROOT ??
    'http://127.0.0.1:8080/api'
  ).replace(/\/$/, '');
  let token = opts.token ?? process.env.RUNBOX_TOKEN;
  if (!token) {
    // A local embedded install keeps its first admin token here.
    const file = join(resolve(process.env.RUNBOX_DATA_DIR ?? '.runbox'), 'admin-token');
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch {
      throw new Error('No API token: pass --token or set RUNBOX_TOKEN.');
    }
  }
  return { apiRoot, token };
}

/** The folder as a .tar.gz, the way `tar czf app.tgz -C DIR .` packs it. */
async function pack(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tar.c({ gzip: true, cwd: dir, portable: true }, ['.'])) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** `runbox apps publish DIR`: packs a folder with runbox.app.json and publishes it. */
export function registerApps(program: Command): void {
  const apps = program.command('apps').description('Publish apps to a Runbox server.');
  apps
    .command('publish <dir>')
    .description('Pack DIR (with runbox.app.json at its root) and publish it as a new app version.')
    .option('--api-root <url>', 'API root (env RUNBOX_API_ROOT, default http://127.0.0.1:8080/api)')
    .option(
      '--token <token>',
      "API token (env RUNBOX_TOKEN; default: the local install's admin token)",
    )
    .option('--context <id>', 'IB-Context: the org to publish in (env RUNBOX_CONTEXT)')
    .option('--json', 'print the published version as JSON')
    .action(
      async (
        dir: string,
        o: { apiRoot?: string; token?: string; context?: string; json?: boolean },
      ) => {
        const { apiRoot, token } = apiTarget(o);
        const context = o.context ?? process.env.RUNBOX_CONTEXT;
        const res = await fetch(`${apiRoot}/v2/apps`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/gzip',
            ...(context ? { 'ib-context': context } : {}),
          },
          body: await pack(resolve(dir)),
        });
        const body = (await res.json().catch(() => ({}))) as {
          message?: string;
          type?: string;
          app_id?: string;
          version?: string;
          manifest?: { name?: string };
        };
        if (res.status !== 201) {
          process.stderr.write(
            `error: ${body.message ?? res.statusText} (${body.type ?? res.status})\n`,
          );
          process.exitCode = res.status >= 500 ? 3 : 1;
          return;
        }
        process.stdout.write(
          o.json
            ? `${JSON.stringify(body, null, 2)}\n`
            : `Published ${body.manifest?.name} ${body.version} (app ${body.app_id})\n`,
        );
      },
    );
}

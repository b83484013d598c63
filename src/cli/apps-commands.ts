import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import * as tar from 'tar';
import { RunboxError, type AppInfo, type Runbox } from '../../client/src/index.js';
import { UsageError } from './exit-codes.js';
import { intOption } from './option-parsers.js';
import { session, withCommonOptions } from './session.js';
import { relativeTime } from './terminal.js';

/** The folder as a .tar.gz, the way `tar czf app.tgz -C DIR .` packs it. */
async function pack(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tar.c({ gzip: true, cwd: dir, portable: true }, ['.'])) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Every app of the context, across pages. */
export async function allApps(client: Runbox): Promise<AppInfo[]> {
  const apps: AppInfo[] = [];
  for (let offset = 0; ;) {
    const page = await client.apps.list({ limit: 1000, offset });
    apps.push(...page.apps);
    if (page.apps.length < 1000) return apps;
    offset += page.apps.length;
  }
}

/** An app by id or name (people type names; ids are what the API takes). */
export async function findApp(client: Runbox, nameOrId: string): Promise<AppInfo> {
  const apps = await allApps(client);
  const app = apps.find((a) => a.id === nameOrId) ?? apps.find((a) => a.name === nameOrId);
  // The server's own words for an id it does not know (exit 3, like any unknown id).
  if (!app) throw new RunboxError(404, 'record-not-found', `App ${nameOrId} not found.`);
  return app;
}

/** `runbox apps publish|list|versions|delete`. */
export function registerApps(program: Command): void {
  const apps = withCommonOptions(
    program.command('apps').description('Publish, list and delete apps.'),
  );

  apps
    .command('publish <dir>')
    .description('Pack DIR (with runbox.app.json at its root) and publish it as a new app version.')
    .action(async (dir: string, _o: unknown, cmd: Command) => {
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
        throw new UsageError(
          `${dir} is not a folder: give the app's folder (with runbox.app.json).`,
        );
      }
      const s = session(cmd);
      const version = await s.client.apps.publish(await pack(resolve(dir)));
      if (s.json) return s.out.json(version);
      const name = typeof version.manifest.name === 'string' ? version.manifest.name : dir;
      s.out.print(`Published ${name} ${version.version} (app ${version.app_id}).`);
    });

  apps
    .command('list')
    .description('Apps of the context, with their latest versions.')
    .option('--limit <n>', 'at most this many', intOption(1, 1000))
    .option('--offset <n>', 'skip this many', intOption(0))
    .action(async (o: { limit?: number; offset?: number }, cmd: Command) => {
      const s = session(cmd);
      const page = await s.client.apps.list({
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.offset !== undefined ? { offset: o.offset } : {}),
      });
      if (s.json) return s.out.json(page);
      if (page.apps.length === 0)
        return s.out.print('No apps yet: publish one with `runbox apps publish DIR`.');
      s.out.table(
        ['NAME', 'LATEST', 'ID', 'OWNER', 'UPDATED', 'DESCRIPTION'],
        page.apps.map((a) => [
          a.name,
          a.latest_version ?? '',
          a.id,
          a.owner,
          relativeTime(a.updated_at_ms),
          a.description ?? '',
        ]),
      );
    });

  apps
    .command('versions <app>')
    .description("An app's versions (APP: name or id), newest first.")
    .action(async (nameOrId: string, _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const app = await findApp(s.client, nameOrId);
      const res = await s.client.apps.versions(app.id);
      if (s.json) return s.out.json(res);
      s.out.table(
        ['VERSION', 'RUNTIME', 'PUBLISHED', 'BY', 'DESCRIPTION'],
        res.versions.map((v) => [
          v.version,
          v.runtime,
          relativeTime(v.created_at_ms),
          v.created_by,
          v.description ?? '',
        ]),
      );
    });

  apps
    .command('delete <app>')
    .description('Delete an app and all its versions (APP: name or id).')
    .action(async (nameOrId: string, _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const app = await findApp(s.client, nameOrId);
      await s.client.apps.delete(app.id);
      if (s.json) return s.out.json({ deleted: app.id, name: app.name });
      s.out.print(`Deleted app ${app.name} (${app.id}).`);
    });
}

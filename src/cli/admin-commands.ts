import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config.js';
import type { Core } from '../main.js';
import { parseDuration } from './duration.js';

/** Opens the configured store, runs `fn`, prints its result, closes. */
async function withCore(json: boolean, fn: (core: Core) => Promise<unknown>): Promise<void> {
  const config = loadConfig(process.env);
  // Loaded per command so that usage errors and --help answer at once.
  const [{ createCore }, { pino }] = await Promise.all([import('../main.js'), import('pino')]);
  const core = await createCore(config, { logger: pino({ level: 'warn' }) });
  try {
    const result = await fn(core);
    if (result === undefined) return;
    if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else if (Array.isArray(result)) {
      for (const row of result) process.stdout.write(formatRow(row) + '\n');
    } else process.stdout.write(formatRow(result) + '\n');
  } finally {
    await core.close();
  }
}

function formatRow(row: unknown): string {
  if (typeof row !== 'object' || row === null) return String(row);
  return Object.entries(row)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('  ');
}

const role = (admin?: boolean) => (admin ? 'admin' : 'member');

/** A bad `--expires-in` is a usage error (exit 2), found before the store is opened. */
function durationOption(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

/** `runbox admin …`: server-side administration straight against the configured store. */
export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('Create orgs, users, service accounts, workspaces and tokens (server side).')
    .option('--json', 'print JSON');
  const json = () => Boolean(admin.opts<{ json?: boolean }>().json);

  const org = admin.command('org').description('Orgs (tenants).');
  org
    .command('create <id>')
    .option('--name <name>', 'display name')
    .action((id: string, o: { name?: string }) =>
      withCore(json(), (c) => c.admin.createOrg(id, o.name)),
    );
  org.command('list').action(() => withCore(json(), (c) => c.admin.listOrgs()));

  const user = admin.command('user').description('People (each gets a personal workspace).');
  user
    .command('create <id>')
    .requiredOption('--org <org>', 'org the user belongs to')
    .option('--admin', 'make the user an org admin')
    .option('--name <name>', 'display name')
    .action((id: string, o: { org: string; admin?: boolean; name?: string }) =>
      withCore(json(), (c) =>
        c.admin.createUser({
          id,
          orgId: o.org,
          role: role(o.admin),
          ...(o.name ? { displayName: o.name } : {}),
        }),
      ),
    );
  user
    .command('list')
    .requiredOption('--org <org>')
    .action((o: { org: string }) => withCore(json(), (c) => c.admin.listUsers(o.org)));

  admin
    .command('service-account')
    .description('Service accounts (no personal workspace).')
    .command('create <id>')
    .requiredOption('--org <org>')
    .option('--admin', 'give the account the org admin role')
    .action((id: string, o: { org: string; admin?: boolean }) =>
      withCore(json(), (c) =>
        c.admin.createUser({ id, orgId: o.org, kind: 'service', role: role(o.admin) }),
      ),
    );

  admin
    .command('member')
    .description('Org memberships.')
    .command('add <user>')
    .requiredOption('--org <org>')
    .option('--admin', 'as an org admin')
    .action((userId: string, o: { org: string; admin?: boolean }) =>
      withCore(json(), async (c) => {
        await c.admin.addMember(o.org, userId, role(o.admin));
        return { org: o.org, user: userId, role: role(o.admin) };
      }),
    );

  const ws = admin.command('workspace').description('Shared workspaces.');
  ws.command('create <name>')
    .requiredOption('--org <org>')
    .action((name: string, o: { org: string }) =>
      withCore(json(), (c) => c.admin.createWorkspace(o.org, name)),
    );
  ws.command('list')
    .requiredOption('--org <org>')
    .action((o: { org: string }) => withCore(json(), (c) => c.admin.listWorkspaces(o.org)));

  const token = admin.command('token').description('API tokens (the value is shown once).');
  token
    .command('create <user>')
    .option('--name <name>', 'what the token is for')
    .option('--expires-in <duration>', 'e.g. 90m, 12h, 30d (default: never)', durationOption)
    .action((userId: string, o: { name?: string; expiresIn?: number }) =>
      withCore(json(), (c) =>
        c.admin.createToken(userId, {
          ...(o.name ? { name: o.name } : {}),
          expiresAt: o.expiresIn !== undefined ? c.sources.clock.now() + o.expiresIn : null,
        }),
      ),
    );
  token
    .command('list <user>')
    .action((userId: string) => withCore(json(), (c) => c.admin.listTokens(userId)));
  token.command('revoke <token-id>').action((id: string) =>
    withCore(json(), async (c) => {
      await c.admin.revokeToken(id);
      return { revoked: id };
    }),
  );
}

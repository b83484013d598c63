import type { Command } from 'commander';
import type { Runbox, Secret } from '../../client/src/index.js';
import { UsageError } from './exit-codes.js';
import { session, withCommonOptions } from './session.js';
import { relativeTime } from './terminal.js';

/** The value from stdin (piped): one trailing newline is not part of it. */
async function valueFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError('Pass --value V, or pipe the value on stdin (e.g. `… < key.txt`).');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (value === '') throw new UsageError('The value read from stdin is empty.');
  return value;
}

async function findSecret(client: Runbox, alias: string): Promise<Secret | undefined> {
  const { secrets } = await client.secrets.list({ alias });
  return secrets.find((x) => x.alias === alias);
}

const allowed = (x: Secret) =>
  x.allowed_workspaces_type === 'SOME'
    ? x.allowed_workspaces.join(', ')
    : x.allowed_workspaces_type.toLowerCase();

interface SetOptions {
  value?: string;
  description?: string;
  workspaces?: string;
  allWorkspaces?: boolean;
}

/** `runbox secrets list|set|delete`: org secrets by alias; values are never printed. */
export function registerSecrets(program: Command): void {
  const secrets = withCommonOptions(
    program.command('secrets').description('Org secrets apps can use (values are write-only).'),
  );

  secrets
    .command('list')
    .description('Secrets of the org (admins), or those a workspace may use.')
    .option('--workspace <name>', 'those usable in this workspace')
    .action(async (o: { workspace?: string }, cmd: Command) => {
      const s = session(cmd);
      const res = await s.client.secrets.list(
        o.workspace !== undefined ? { workspace: o.workspace } : {},
      );
      if (s.json) return s.out.json(res);
      if (res.secrets.length === 0) return s.out.print('No secrets.');
      s.out.table(
        ['ALIAS', 'WORKSPACES', 'UPDATED', 'BY', 'DESCRIPTION'],
        res.secrets.map((x) => [
          x.alias,
          allowed(x),
          relativeTime(x.updated_at),
          x.last_updated_by,
          x.description,
        ]),
      );
    });

  secrets
    .command('set <alias>')
    .description('Create a secret, or change it when the alias exists (value: --value or stdin).')
    .option('--value <value>', 'the value (else read from stdin; prefer stdin: argv is visible)')
    .option('--description <text>', 'what it is for')
    .option('--workspaces <list>', 'only these workspaces may use it (comma-separated)')
    .option('--all-workspaces', 'every workspace may use it (the default for a new secret)')
    .action(async (alias: string, o: SetOptions, cmd: Command) => {
      if (o.workspaces !== undefined && o.allWorkspaces) {
        throw new UsageError('Give --workspaces or --all-workspaces, not both.');
      }
      const s = session(cmd);
      const value = o.value ?? (await valueFromStdin());
      const workspaces = o.workspaces
        ?.split(',')
        .map((w) => w.trim())
        .filter(Boolean);
      const scope =
        workspaces !== undefined
          ? { allowed_workspaces_type: 'SOME' as const, allowed_workspaces: workspaces }
          : o.allWorkspaces
            ? { allowed_workspaces_type: 'ALL' as const, allowed_workspaces: [] }
            : {};
      const existing = await findSecret(s.client, alias);
      const description = o.description !== undefined ? { description: o.description } : {};
      if (existing) {
        await s.client.secrets.update({ alias, value, ...description, ...scope });
      } else {
        await s.client.secrets.create({
          alias,
          value,
          allowed_workspaces_type: 'ALL',
          ...description,
          ...scope,
        });
      }
      if (s.json) return s.out.json((await findSecret(s.client, alias)) ?? { alias });
      s.out.print(`${existing ? 'Updated' : 'Created'} secret ${alias}.`);
    });

  secrets
    .command('delete <alias>')
    .description('Delete a secret (runs that name it fail until it is set again).')
    .action(async (alias: string, _o: unknown, cmd: Command) => {
      const s = session(cmd);
      await s.client.secrets.delete(alias);
      if (s.json) return s.out.json({ deleted: alias });
      s.out.print(`Deleted secret ${alias}.`);
    });
}

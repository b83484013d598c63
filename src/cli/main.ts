import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isRunboxError } from '../contract/errors.js';
import { registerAdmin } from './admin-commands.js';
import { registerApps } from './apps-commands.js';
import { registerServe } from './serve-command.js';

// Read here rather than from main.ts, which loads the whole server.
const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Exit codes: 0 success, 1 failure reported by the server side, 2 usage error. */
const program = new Command()
  .name('runbox')
  .description('Runbox: a self-hosted runs server for automation apps.')
  .version(version)
  .exitOverride();

registerServe(program);
registerAdmin(program);
registerApps(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (isRunboxError(err)) {
    process.stderr.write(`error: ${err.message} (${err.type})\n`);
    process.exit(1);
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.RUNBOX_DEBUG) console.error(err);
  process.exit(1);
}

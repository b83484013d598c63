import { CommanderError } from 'commander';
import { RunboxError as ClientError } from '../../client/src/index.js';
import { isRunboxError } from '../contract/errors.js';
import { clearLiveOutput } from './terminal.js';

/**
 * The CLI's exit codes: scripts branch on them.
 * - 0: done (a run that stopped at the review checkpoint counts as done);
 * - 1: a run or job this command reported on ended FAILED or CANCELLED (and, for the
 *   server-side `admin` commands, a refusal from the store);
 * - 2: usage: bad arguments or options, missing configuration, a local file that is not there;
 * - 3: the server answered with an error, or could not be reached.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, server: 3 } as const;

/** A mistake in how the command was called: printed as `error: …`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Hints for the errors people meet first. */
function hint(err: ClientError): string | undefined {
  if (err.type === 'network-error')
    return 'Is the server running (`runbox serve`), and is the API root right (`runbox login`, --api-root, RUNBOX_API_ROOT)?';
  if (err.status === 401) return 'Log in again with `runbox login --api-root URL --token T`.';
  return undefined;
}

/** Prints an error the way the CLI shows them (a stack only with --debug); returns the exit code. */
export function reportError(err: unknown, debug: boolean): number {
  clearLiveOutput();
  const write = (s: string) => process.stderr.write(s);
  if (err instanceof CommanderError) {
    // Commander has printed its message already (`--help` and `--version` end here too).
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError) {
    write(`error: ${err.message}\n`);
    if (debug) console.error(err);
    return EXIT.usage;
  }
  if (err instanceof ClientError) {
    write(`error: ${err.message} (${err.type})\n`);
    const h = hint(err);
    if (h) write(`${h}\n`);
    if (debug) {
      if (err.requestId) write(`request id: ${err.requestId}\n`);
      console.error(err);
    }
    return EXIT.server;
  }
  if (isRunboxError(err)) {
    // Server-side commands (`admin`) act on the store directly: a refusal is exit 1, as before.
    write(`error: ${err.message} (${err.type})\n`);
    if (debug) console.error(err);
    return EXIT.failed;
  }
  write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (debug) console.error(err);
  return EXIT.failed;
}

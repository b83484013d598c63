/**
 * For the API commands' suites: a server on a fresh store, the environment that points the CLI
 * at it (with its own config folder), small apps to publish, and checks of what a command
 * printed and how it exited.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { freshTarget } from '../helpers/backends.js';
import { cliProcesses, printedToken, storeEnv, type CliResult } from './process-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/runbox.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const SAMPLES_DIR = join(ROOT, 'examples/invoice-extractor/samples');
export const SAMPLES = ['invoice-1001.txt', 'invoice-1002.csv', 'invoice-1003.pdf'];

export const STACK_FRAME = /^\s+at /m;

/** A server on a fresh SQLite store, and `cli(...args)` talking to it as its admin. */
export async function clientSetup(cli: ReturnType<typeof cliProcesses>) {
  const target = freshTarget('sqlite');
  const server = await cli.serve(storeEnv(target));
  const token = await printedToken(server);
  const configHome = join(target.dataDir, 'config');
  /** No login, no RUNBOX_TOKEN: the CLI falls back to the install's admin token file. */
  const env: Record<string, string> = {
    ...storeEnv(target),
    RUNBOX_API_ROOT: `${server.url}/api`,
    XDG_CONFIG_HOME: configHome,
  };
  const run = (...args: string[]) => cli.run(args, env);
  // Made inside the data directory: removed with it when the test passes, kept when it fails.
  const work = join(target.dataDir, 'work');
  return {
    target,
    server,
    token,
    env,
    configHome,
    run,
    apiRoot: `${server.url}/api`,
    appFolder: (manifest: Record<string, unknown>, code: string) => appFolder(work, manifest, code),
    textFiles: (files: Record<string, string>) => textFiles(work, files),
  };
}

/** Exit 0, nothing on stderr (not a terminal: no progress); returns stdout. */
export function ok(r: CliResult): string {
  expect(r.code, describe(r)).toBe(0);
  expect(r.stderr, describe(r)).toBe('');
  return r.stdout;
}

/** Exit 0 and stdout is one JSON document. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  return JSON.parse(ok(r)) as T;
}

/** The exit code and an error line (message and type), without a stack trace. */
export function failed(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, describe(r)).toBe(code);
  expect(r.stderr, describe(r)).toMatch(message);
  expect(r.stderr, describe(r)).not.toMatch(STACK_FRAME);
}

export const describe = (r: CliResult) =>
  `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A folder with runbox.app.json and index.mjs, ready for `apps publish`. */
function appFolder(parent: string, manifest: Record<string, unknown>, code: string): string {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'app-'));
  writeFileSync(
    join(dir, 'runbox.app.json'),
    JSON.stringify({ version: '1.0.0', runtime: 'node', entry: 'index.mjs', ...manifest }),
  );
  writeFileSync(join(dir, 'index.mjs'), code);
  return dir;
}

/** Small text files in a fresh folder; returns their paths. */
function textFiles(parent: string, files: Record<string, string>): string[] {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'files-'));
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

/** Runs the CLI with `input` on stdin (the shared helper gives children no stdin). */
export function runWithStdin(
  args: string[],
  env: Record<string, string>,
  input: string,
): Promise<CliResult> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('RUNBOX_')),
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...base, RUNBOX_LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.end(input);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

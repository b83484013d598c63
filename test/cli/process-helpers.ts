/**
 * The CLI as a real child process: `node bin/runbox.js …` with its own environment, talked to
 * over real sockets. Every child started through `cliProcesses()` is SIGKILLed after each test,
 * whether it passed or not, before any per-test cleanup removes its data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { BackendTarget } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';

const BIN = fileURLToPath(new URL('../../bin/runbox.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Generous: a cold `tsx` start on a loaded machine takes several seconds. */
export const DEADLINE_MS = 20_000;

export { until };

/** A port nobody listens on right now (the OS picks it; the child binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const address = server.address();
  await new Promise((ok) => server.close(ok));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** The environment that points the CLI at `target`'s store, plus `extra`. */
export function storeEnv(target: BackendTarget, extra: Record<string, string> = {}) {
  return {
    RUNBOX_DATA_DIR: target.dataDir,
    ...(target.databaseUrl ? { RUNBOX_DATABASE_URL: target.databaseUrl } : {}),
    ...(target.databaseSchema ? { RUNBOX_DATABASE_SCHEMA: target.databaseSchema } : {}),
    ...extra,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running CLI process with everything it has printed so far. */
export class CliChild {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;

  constructor(readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    // 'close' comes after the output streams ended, so stdout/stderr are complete by then.
    this.exited = new Promise((ok) =>
      proc.once('close', (code, signal) => {
        this.exit = { code, signal };
        ok(this.exit);
      }),
    );
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error('the child did not start');
    return this.proc.pid;
  }

  /** Waits until the child printed something matching `re` on stdout; returns the match. */
  async waitForStdout(re: RegExp): Promise<RegExpExecArray> {
    return until(`${re} on stdout`, () => {
      const m = re.exec(this.stdout);
      if (m) return m;
      if (this.exit) throw new Error(`the child exited (${this.describe()}) before printing ${re}`);
      return undefined;
    });
  }

  /** SIGKILL, and wait until it is gone. */
  async crash(): Promise<Exit> {
    if (!this.exit) this.proc.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (a clean shutdown), and wait until it is gone. */
  async stop(): Promise<Exit> {
    if (!this.exit) this.proc.kill('SIGTERM');
    return this.exited;
  }

  describe(): string {
    return `exit ${JSON.stringify(this.exit)}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }
}

export interface CliServer {
  child: CliChild;
  port: number;
  url: string;
  /** fetch against the server, with `Authorization: Bearer <token>` when a token is given. */
  api(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
}

/** The admin token a first start prints (after it has written the token file). */
export async function printedToken(server: CliServer): Promise<string> {
  const [, token] = await server.child.waitForStdout(/Admin token: (\S+)/);
  return token!;
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Starts CLI children for the current test and kills them all after it. Call in `describe`. */
export function cliProcesses() {
  const live = new Set<CliChild>();
  afterEach(async () => {
    const children = [...live];
    live.clear();
    await Promise.all(children.map((c) => c.crash()));
  });

  function start(args: string[], env: Record<string, string>): CliChild {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('RUNBOX_')),
    );
    const proc = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...base, RUNBOX_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = new CliChild(proc);
    live.add(child);
    void child.exited.then(() => live.delete(child));
    return child;
  }

  /** Runs a one-shot command (`migrate`, `admin …`) to completion. */
  async function run(args: string[], env: Record<string, string>): Promise<CliResult> {
    const child = start(args, env);
    const exit = await child.exited;
    return { ...exit, stdout: child.stdout, stderr: child.stderr };
  }

  /** `runbox serve` on a free port, once /readyz answers 200 over a real socket. */
  async function serve(env: Record<string, string>, args: string[] = []): Promise<CliServer> {
    const port = await freePort();
    const child = start(['serve', '--port', String(port), ...args], env);
    const url = `http://127.0.0.1:${port}`;
    await until('/readyz', async () => {
      if (child.exit)
        throw new Error(`runbox serve exited before it was ready (${child.describe()})`);
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });
    return {
      child,
      port,
      url,
      api(path, init = {}) {
        const { token, ...rest } = init;
        const headers = new Headers(rest.headers);
        if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
        return fetch(`${url}${path}`, { ...rest, headers });
      },
    };
  }

  /** A background process (`runbox worker`); killed after the test like the others. */
  function background(args: string[], env: Record<string, string>): CliChild {
    return start(args, env);
  }

  return { run, serve, background };
}

/** Every file under `dir` (relative paths), or [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Polls a job over HTTP until it is no longer PENDING/RUNNING; returns its final state. */
export async function finishedJob(
  server: CliServer,
  token: string,
  jobId: string,
): Promise<{ state: string; message: string }> {
  return until(`job ${jobId} to finish`, async () => {
    const res = await server.api(`/api/v2/jobs/${jobId}`, { token });
    if (res.status !== 200) throw new Error(`job ${jobId}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { state: string; message: string };
    return body.state === 'PENDING' || body.state === 'RUNNING' ? undefined : body;
  });
}

/** Creates a batch over HTTP; returns its id. */
export async function createBatch(server: CliServer, token: string, name: string): Promise<number> {
  const res = await server.api('/api/v2/batches', {
    token,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 200) throw new Error(`create batch: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: number }).id;
}

/** PUTs one file into a batch over HTTP; returns the status. */
export async function putFile(
  server: CliServer,
  token: string,
  batchId: number,
  name: string,
  bytes: Buffer,
): Promise<number> {
  const res = await server.api(`/api/v2/batches/${batchId}/files/${encodeURIComponent(name)}`, {
    token,
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  await res.arrayBuffer();
  return res.status;
}

export interface ListedFile {
  name: string;
  metadata: { size: number };
}

/** All files of a batch, over HTTP (every page). */
export async function listFiles(
  server: CliServer,
  token: string,
  batchId: number,
): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  let start = '';
  for (;;) {
    const q = start ? `?start_token=${encodeURIComponent(start)}` : '';
    const res = await server.api(`/api/v2/batches/${batchId}/files${q}`, { token });
    if (res.status !== 200) throw new Error(`list files: HTTP ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { nodes: ListedFile[]; next_page_token: string };
    files.push(...page.nodes);
    if (!page.next_page_token) return files;
    start = page.next_page_token;
  }
}

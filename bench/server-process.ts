/**
 * A Runbox server in its own process, as a user runs it (`runbox serve`), on a fresh data
 * directory (and a fresh Postgres schema), with rate limiting off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { sleep } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BenchServer {
  url: string;
  token: string;
  pid: number;
  dataDir: string;
  schema: string | undefined;
  api(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerOptions {
  /** A data directory shared with other processes (kept on stop; its owner removes it). */
  dataDir?: string;
  schema?: string;
  /** More `runbox serve` arguments (e.g. --no-workers). */
  args?: string[];
  /** More environment for the server (e.g. a storage URL). */
  extraEnv?: Record<string, string>;
}

export async function startServer(
  backend: 'sqlite' | 'postgres',
  pgUrl?: string,
  o: ServerOptions = {},
): Promise<BenchServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), `runbox-bench-${backend}-`));
  const port = await freePort();
  const schema =
    backend === 'postgres' ? (o.schema ?? `bench_${Date.now().toString(36)}`) : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUNBOX_DATA_DIR: dataDir,
    RUNBOX_PORT: String(port),
    RUNBOX_RATE_LIMIT: 'off',
    RUNBOX_LOG_LEVEL: 'warn',
    ...(schema ? { RUNBOX_DATABASE_URL: pgUrl, RUNBOX_DATABASE_SCHEMA: schema } : {}),
    ...o.extraEnv,
  };
  // RUNBOX_BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server.
  const nodeArgs = (process.env.RUNBOX_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, join(ROOT, 'bin/runbox.js'), 'serve', ...(o.args ?? [])],
    {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error('server did not become ready');
    await sleep(50);
  }
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}/api${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });
  return {
    url,
    token,
    pid: child.pid!,
    dataDir,
    schema,
    api,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function packed(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tar.c({ gzip: true, cwd: dir, portable: true }, ['.'])) {
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Publishes the bench's no-op app and a batch holding `files` (name → contents). */
export async function setUp(s: BenchServer, files: Record<string, string>) {
  const pub = await s.api('/v2/apps', {
    method: 'POST',
    body: await packed(join(ROOT, 'bench/noop-app')),
    headers: { 'content-type': 'application/gzip' },
  });
  if (pub.status !== 201 && pub.status !== 409)
    throw new Error(`publish: ${pub.status} ${await pub.text()}`);
  const batch = (await (
    await s.api('/v2/batches', {
      method: 'POST',
      body: JSON.stringify({ name: 'bench' }),
      headers: { 'content-type': 'application/json' },
    })
  ).json()) as { id: number };
  for (const [name, body] of Object.entries(files)) {
    await s.api(`/v2/batches/${batch.id}/files/${name}`, { method: 'PUT', body });
  }
  return batch.id;
}

export async function createRun(s: BenchServer, batchId: number): Promise<string> {
  const res = await s.api('/v2/apps/runs', {
    method: 'POST',
    body: JSON.stringify({ app_name: 'bench-noop', batch_id: batchId }),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 200) throw new Error(`create run: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function runStatus(s: BenchServer, id: string): Promise<string> {
  return ((await (await s.api(`/v2/apps/runs/${id}`)).json()) as { status: string }).status;
}

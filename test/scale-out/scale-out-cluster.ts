/**
 * A scale-out deployment made of real processes on one Postgres schema: `runbox migrate` once,
 * any number of API nodes (`serve --no-workers --no-migrate`) and workers
 * (`worker --no-migrate`), each started, stopped, killed and restarted by the test. All are
 * SIGKILLed after each test (see `cliProcesses`).
 *
 * Blob storage: with `RUNBOX_TEST_STORAGE_URL` set (or `storageUrl` given) every process gets it
 * as `RUNBOX_STORAGE_URL`; otherwise they share one data directory, whose local store is then
 * the shared directory every node reads and writes. With `RUNBOX_TEST_STORAGE_PID` (the process
 * of an S3-compatible server) the storage can be stalled: that process is SIGSTOPped a while.
 */
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { freshTarget, POSTGRES_URL } from '../helpers/backends.js';
import {
  cliProcesses,
  filesUnder,
  freePort,
  printedToken,
  storeEnv,
  type CliChild,
  type CliResult,
  type CliServer,
} from '../cli/process-helpers.js';
import { until } from '../helpers/poll.js';
import { Client } from '../engine-processes/cluster.js';

export { Client, TERMINAL, type RunObject } from '../engine-processes/cluster.js';

export interface DeploymentOptions {
  /** A Postgres server (default: the shared test server); a fresh schema is used on it. */
  databaseUrl?: string;
  storageUrl?: string;
  /** Given to every process (e.g. a short lease). */
  env?: Record<string, string>;
  /**
   * Makes the blob storage stop answering for `ms` (e.g. SIGSTOP of an S3-compatible server
   * the test started). None for the local store, which is the machine's own disk.
   */
  stallStorage?: (ms: number) => Promise<void>;
}

export interface ApiNode extends CliServer {
  client: Client;
}

export class Deployment {
  /** The admin token printed by the first API node. */
  token = '';
  readonly apis: ApiNode[] = [];
  readonly workers: CliChild[] = [];

  constructor(
    private readonly cli: ReturnType<typeof cliProcesses>,
    readonly env: Record<string, string>,
    readonly dataDir: string,
    readonly schema: string,
    /** See `DeploymentOptions.stallStorage`; undefined when the storage cannot be stalled. */
    readonly stallStorage: ((ms: number) => Promise<void>) | undefined,
  ) {}

  /** Rows of a query on the deployment's schema, read directly from the database. */
  async sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({
      connectionString: this.env.RUNBOX_DATABASE_URL,
      options: `-c search_path=${this.schema}`,
    });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /**
   * The stored objects under a blob key prefix, on the shared local store; undefined on other
   * storage (RUNBOX_STORAGE_URL), where a test reads them through that storage instead.
   */
  storedObjects(prefix: string): string[] | undefined {
    if (this.env.RUNBOX_STORAGE_URL) return undefined;
    return filesUnder(join(this.dataDir, 'blobs', 'objects', prefix));
  }

  migrate(): Promise<CliResult> {
    return this.cli.run(['migrate'], this.env);
  }

  /** An API node, once its /readyz answers 200. */
  async startApi(env: Record<string, string> = {}): Promise<ApiNode> {
    const server = await this.cli.serve({ ...this.env, ...env }, ['--no-workers', '--no-migrate']);
    if (!this.token) this.token = await printedToken(server);
    const node = { ...server, client: new Client(server, this.token) };
    this.apis.push(node);
    return node;
  }

  /** `runbox serve` on a free port, without waiting for it to be ready. */
  async startApiUnready(args: string[] = []): Promise<{ child: CliChild; url: string }> {
    const port = await freePort();
    const child = this.cli.background(['serve', '--port', String(port), ...args], {
      ...this.env,
      RUNBOX_LOG_LEVEL: 'info',
    });
    return { child, url: `http://127.0.0.1:${port}` };
  }

  /** A worker, once it says it started (`wait` false: at once); `--no-migrate` unless `migrate`. */
  async startWorker(
    env: Record<string, string> = {},
    o: { wait?: boolean; migrate?: boolean } = {},
  ): Promise<CliChild> {
    const args = o.migrate ? ['worker'] : ['worker', '--no-migrate'];
    const worker = this.cli.background(args, {
      ...this.env,
      RUNBOX_LOG_LEVEL: 'info',
      ...env,
    });
    this.workers.push(worker);
    if (o.wait !== false) await worker.waitForStdout(/"msg":"worker started"/);
    return worker;
  }

  /** What every process printed, for failure messages. */
  describe(): string {
    return [...this.apis.map((a) => a.child), ...this.workers]
      .map((c) => `=== pid ${c.proc.pid}\n${c.describe().slice(-4000)}`)
      .join('\n');
  }
}

/** Stalls the storage server process `pid` for `ms` (SIGSTOP, then SIGCONT). */
function stallByPid(pid: string | undefined): ((ms: number) => Promise<void>) | undefined {
  if (!pid) return undefined;
  return async (ms) => {
    process.kill(Number(pid), 'SIGSTOP');
    try {
      // The fault lasts this long; nothing is waited for.
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      process.kill(Number(pid), 'SIGCONT');
    }
  };
}

/** Call in `describe`: returns a factory of deployments for the current test. */
export function scaleOutProcesses() {
  const cli = cliProcesses();
  function deployment(o: DeploymentOptions = {}): Deployment {
    const target = freshTarget('postgres');
    const storageUrl = o.storageUrl ?? process.env.RUNBOX_TEST_STORAGE_URL;
    const env = storeEnv(
      { ...target, databaseUrl: o.databaseUrl ?? POSTGRES_URL },
      {
        RUNBOX_RATE_LIMIT: 'off',
        ...(storageUrl ? { RUNBOX_STORAGE_URL: storageUrl } : {}),
        ...o.env,
      },
    );
    return new Deployment(
      cli,
      env,
      target.dataDir,
      target.databaseSchema!,
      o.stallStorage ?? (storageUrl ? stallByPid(process.env.RUNBOX_TEST_STORAGE_PID) : undefined),
    );
  }
  return { deployment, cli };
}

/** Creates a run of `app` over a batch through `node`; returns its id. */
export async function startRun(
  client: Client,
  app: string,
  batchId: number,
  custom: Record<string, unknown> = {},
): Promise<string> {
  const run = await client.json<{ id: string }>('/api/v2/apps/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ app_name: app, batch_id: batchId, settings: { keys: { custom } } }),
  });
  return run.id;
}

/** Fails unless `res` has `status`, showing the body. */
export async function expectStatus(res: Response, status: number): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return text;
}

/** Polls `url`/readyz until it answers `status`; returns the body. */
export function readyz(url: string, status: number, timeoutMs = 30_000) {
  return until(
    `${url}/readyz to answer ${status}`,
    async () => {
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res?.status !== status) return undefined;
      return (await res.json()) as { status: string; reason?: string };
    },
    timeoutMs,
  );
}

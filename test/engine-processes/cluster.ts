/**
 * A Runbox deployment made of real processes on one store: an API process
 * (`runbox serve --no-workers`) and any number of `runbox worker` processes, talked to over real
 * sockets. Every process is SIGKILLed after each test (see `cliProcesses`), passed or failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { freshTarget, type Backend, type BackendTarget } from '../helpers/backends.js';
import {
  cliProcesses,
  createBatch,
  printedToken,
  putFile,
  storeEnv,
  until,
  type CliChild,
  type CliServer,
} from '../cli/process-helpers.js';

export { until } from '../cli/process-helpers.js';
export { executions, probePackage, type Execution } from './probe-app.js';

export const TERMINAL = ['COMPLETE', 'FAILED', 'CANCELLED'];

export interface RunObject {
  id: string;
  status: string;
  msg: string | null;
}

export interface ResultFile {
  original_file_name: string;
  documents: { fields: { field_name: string; value: string; error_msg?: string }[] }[];
}

/** One user's view of the API process, as a client would use it. */
export class Client {
  constructor(
    readonly server: CliServer,
    readonly token: string,
  ) {}

  async json<T>(path: string, init: RequestInit = {}, expected = 200): Promise<T> {
    const res = await this.server.api(path, { ...init, token: this.token });
    const text = await res.text();
    // On a surprise, what the API process printed is the first thing to read.
    const said = () => `${init.method ?? 'GET'} ${path}: ${text}\n${this.server.child.describe()}`;
    if (res.status !== expected) expect(res.status, said()).toBe(expected);
    return JSON.parse(text) as T;
  }

  /** Publishes a package; returns the app id. */
  async publish(pkg: Buffer): Promise<string> {
    const body = await this.json<{ app_id: string }>(
      '/api/v2/apps',
      { method: 'POST', headers: { 'content-type': 'application/gzip' }, body: pkg },
      201,
    );
    return body.app_id;
  }

  /** A batch holding `names` (each file's content is its name). */
  async batch(names: string[]): Promise<number> {
    const id = await createBatch(this.server, this.token, 'input');
    for (const name of names) {
      expect(await putFile(this.server, this.token, id, name, Buffer.from(name))).toBe(204);
    }
    return id;
  }

  startRun(batchId: number, custom: Record<string, unknown>): Promise<RunObject> {
    return this.json<RunObject>('/api/v2/apps/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        app_name: 'probe',
        batch_id: batchId,
        settings: { keys: { custom } },
      }),
    });
  }

  /** Starts `count` runs, `parallel` requests at a time; returns them in creation order. */
  async startRuns(
    count: number,
    parallel: number,
    batchId: number,
    custom: Record<string, unknown>,
  ): Promise<RunObject[]> {
    const runs: RunObject[] = [];
    for (let i = 0; i < count; i += parallel) {
      const n = Math.min(parallel, count - i);
      runs.push(
        ...(await Promise.all(Array.from({ length: n }, () => this.startRun(batchId, custom)))),
      );
    }
    return runs;
  }

  run(id: string): Promise<RunObject> {
    return this.json<RunObject>(`/api/v2/apps/runs/${id}`);
  }

  cancel(id: string): Promise<RunObject> {
    return this.json<RunObject>(`/api/v2/apps/runs/${id}/cancel`, { method: 'POST' });
  }

  /** Every run of the last day, newest first (all pages), optionally only with `status`. */
  async runs(status?: string): Promise<RunObject[]> {
    const out: RunObject[] = [];
    for (let offset = 0; ; offset += 1000) {
      const q = `limit=1000&offset=${offset}${status ? `&status=${status}` : ''}`;
      const page = (await this.json<{ runs: RunObject[] }>(`/api/v2/apps/runs?${q}`)).runs;
      out.push(...page);
      if (page.length < 1000) return out;
    }
  }

  async log(id: string): Promise<string> {
    const res = await this.server.api(`/api/v2/apps/runs/${id}/logs`, { token: this.token });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return text;
  }

  async results(id: string): Promise<ResultFile[]> {
    return (await this.json<{ files: ResultFile[] }>(`/api/v2/apps/runs/${id}/results`)).files;
  }

  /** Polls until the run is terminal; returns it. */
  finished(id: string, timeoutMs?: number): Promise<RunObject> {
    return until(
      `run ${id} to finish`,
      async () => {
        const run = await this.run(id);
        return TERMINAL.includes(run.status) ? run : undefined;
      },
      timeoutMs,
    );
  }

  /** Polls until no run of this org is RUNNING (queued, running or cancelling). */
  async allFinished(timeoutMs?: number): Promise<void> {
    await until(
      'every run to finish',
      async () => {
        const page = await this.json<{ runs: RunObject[] }>(
          '/api/v2/apps/runs?status=RUNNING&limit=1',
        );
        return page.runs.length === 0 ? true : undefined;
      },
      timeoutMs,
    );
  }
}

export interface Cluster {
  target: BackendTarget;
  env: Record<string, string>;
  api: CliServer;
  admin: Client;
  /** The probe app's execution log, shared by every worker (outside the data directory). */
  execLog: string;
  startWorker(): Promise<CliChild>;
}

/**
 * Starts processes for the current test, all killed after it. Call in `describe`. `env` goes
 * to every process (e.g. a short run lease).
 */
export function engineProcesses() {
  const cli = cliProcesses();

  async function cluster(backend: Backend, env: Record<string, string> = {}): Promise<Cluster> {
    const target = freshTarget(backend);
    const fullEnv = storeEnv(target, { RUNBOX_RATE_LIMIT: 'off', ...env });
    const api = await cli.serve(fullEnv, ['--no-workers']);
    const admin = new Client(api, await printedToken(api));
    const execDir = mkdtempSync(join(tmpdir(), 'runbox-exec-'));
    onTestFinished((ctx) => {
      if (ctx.task.result?.state !== 'fail') rmSync(execDir, { recursive: true, force: true });
    });
    return {
      target,
      env: fullEnv,
      api,
      admin,
      execLog: join(execDir, 'executions.log'),
      async startWorker() {
        const worker = cli.background(['worker'], { ...fullEnv, RUNBOX_LOG_LEVEL: 'info' });
        await worker.waitForStdout(/"msg":"worker started"/);
        return worker;
      },
    };
  }

  /** A new org with one admin user; returns a client acting as that user (via `runbox admin`). */
  async function newOrg(c: Cluster, org: string): Promise<Client> {
    const admin = async (...args: string[]) => {
      const r = await cli.run(['admin', '--json', ...args], c.env);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    await admin('org', 'create', org);
    await admin('user', 'create', `${org}-admin`, '--org', org, '--admin');
    const { token } = JSON.parse(await admin('token', 'create', `${org}-admin`)) as {
      token: string;
    };
    return new Client(c.api, token);
  }

  return { cluster, newOrg, cli };
}

/**
 * `npm run bench -- --scale-out`: the scale-out topology on one Postgres: `runbox migrate`, then
 * API-only nodes (`serve --no-workers --no-migrate`) and `runbox worker` processes sharing one
 * schema and data directory, in two shapes (1 API + 1 worker, 2 + 2). The throughput and
 * dispatch figures are the single-server scenarios' own, run against every API node at once:
 * throughput is the sum of the nodes' completed runs per second; dispatch latency is measured
 * through the first node (create acknowledged → app code started on some worker); the event
 * figure is a cancel made through the first node reaching an SSE client of the last one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setUp, startServer, type BenchServer } from '../server-process.js';
import { median, sleep } from '../stats.js';
import { dispatchLatency } from './dispatch.js';
import { eventFanout } from './event-fanout.js';
import { cpuSeconds } from './process-stats.js';
import { throughput } from './throughput.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Cluster {
  apis: BenchServer[];
  workers: ChildProcess[];
  stop(): Promise<void>;
}

function runbox(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin/runbox.js'), ...args], {
    env: { ...process.env, RUNBOX_LOG_LEVEL: 'warn', RUNBOX_RATE_LIMIT: 'off', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', r)));

async function startCluster(pgUrl: string, apiCount: number, workerCount: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'runbox-bench-scale-'));
  const schema = `bench_${Date.now().toString(36)}`;
  const env = {
    RUNBOX_DATA_DIR: dataDir,
    RUNBOX_DATABASE_URL: pgUrl,
    RUNBOX_DATABASE_SCHEMA: schema,
  };
  if ((await exited(runbox(['migrate'], env))) !== 0) throw new Error('runbox migrate failed');
  const opts = { dataDir, schema, args: ['--no-workers', '--no-migrate'] };
  // The first node makes the admin and its token; the others start once it has.
  const apis = [await startServer('postgres', pgUrl, opts)];
  for (let i = 1; i < apiCount; i++) apis.push(await startServer('postgres', pgUrl, opts));
  const workers = Array.from({ length: workerCount }, () =>
    runbox(['worker', '--no-migrate'], env),
  );
  const cluster: Cluster = {
    apis,
    workers,
    async stop() {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map(exited));
      for (const a of apis) await a.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

export interface ScaleOutFigures {
  shape: string;
  throughput: number;
  dispatchP50: number;
  dispatchP99: number;
  /** CPU of every process (API nodes and workers) per completed run, ms. */
  cpuMsPerRun: number;
  /** A status change made through the first API node reaching an SSE client of the last. */
  eventP50: number;
  eventP99: number;
}

/** One shape, `rounds` times; medians. */
async function measure(
  pgUrl: string,
  apiCount: number,
  workerCount: number,
  o: { rounds: number; seconds: number; dispatchRuns: number; eventRuns: number },
): Promise<ScaleOutFigures> {
  const tp: number[] = [],
    d50: number[] = [],
    d99: number[] = [],
    cpu: number[] = [],
    e50: number[] = [],
    e99: number[] = [];
  const shape = `${apiCount} API + ${workerCount} worker${workerCount === 1 ? '' : 's'}`;
  for (let round = 1; round <= o.rounds; round++) {
    const c = await startCluster(pgUrl, apiCount, workerCount);
    try {
      const batchId = await setUp(c.apis[0]!, { 'one.txt': 'x' });
      const waitBatch = await setUp(c.apis[0]!, { 'wait.txt': 'x' });
      await sleep(1_000); // every worker has started and is idle
      const pids = [...c.apis.map((a) => a.pid), ...c.workers.map((w) => w.pid!)];
      const cpuBefore = pids.reduce((n, p) => n + cpuSeconds(p), 0);
      // 32 connections in all, shared between the API nodes.
      const per = await Promise.all(
        c.apis.map((a) => throughput(a, batchId, Math.ceil(32 / c.apis.length), o.seconds)),
      );
      const created = per.reduce((n, t) => n + t.runs, 0);
      const cpuMs = (pids.reduce((n, p) => n + cpuSeconds(p), 0) - cpuBefore) * 1000;
      tp.push(per.reduce((n, t) => n + t.completePerSecond, 0));
      // Includes both warm-ups (a third as many runs again, roughly): an upper bound per run.
      cpu.push(cpuMs / created);
      const d = await dispatchLatency(c.apis[0]!, batchId, o.dispatchRuns);
      d50.push(d.p50);
      d99.push(d.p99);
      const e = await eventFanout(c.apis[0]!, c.apis.at(-1)!, waitBatch, o.eventRuns);
      e50.push(e.p50);
      e99.push(e.p99);
      console.log(
        `  ${shape} round ${round}: ${tp.at(-1)!.toFixed(0)} runs/s, dispatch p50 ${d.p50.toFixed(2)} ms, event p50 ${e.p50.toFixed(1)} ms`,
      );
    } finally {
      await c.stop();
    }
  }
  return {
    shape,
    throughput: median(tp),
    dispatchP50: median(d50),
    dispatchP99: median(d99),
    cpuMsPerRun: median(cpu),
    eventP50: median(e50),
    eventP99: median(e99),
  };
}

export async function scaleOut(
  pgUrl: string,
  o: { rounds: number; seconds: number; dispatchRuns?: number },
): Promise<ScaleOutFigures[]> {
  const opts = { ...o, dispatchRuns: o.dispatchRuns ?? 300, eventRuns: 50 };
  return [await measure(pgUrl, 1, 1, opts), await measure(pgUrl, 2, 2, opts)];
}

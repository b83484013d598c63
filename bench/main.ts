/**
 * `npm run bench`: the performance figures of issue targets, through the REST API of a real
 * server process, on each backend, as medians of several rounds. Prints the machine first.
 *
 *   npm run bench                      # both backends (Postgres at RUNBOX_BENCH_DATABASE_URL or the local default)
 *   npm run bench -- --backend sqlite --rounds 3
 *   npm run bench -- --only throughput --seconds 5   # one scenario (throughput, dispatch, status, cancel, idle, list, ceiling, storage)
 *   npm run bench -- --scale-out       # API-only nodes and workers on one Postgres: 1 + 1, 2 + 2
 */
import { cpus, freemem, totalmem, type as osType, release } from 'node:os';
import { cancelLatency } from './scenarios/cancel.js';
import { dispatchLatency } from './scenarios/dispatch.js';
import { httpCeiling } from './scenarios/http-ceiling.js';
import { idleCpu, idleQueries, rssMb } from './scenarios/process-stats.js';
import { seedRuns } from './scenarios/seed-runs.js';
import { load } from './scenarios/status-rps.js';
import { throughput } from './scenarios/throughput.js';
import { scaleOut } from './scenarios/scale-out.js';
import { createRun, setUp, startServer } from './server-process.js';
import { median, sleep } from './stats.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROUNDS = Number(arg('rounds', '3'));
const SECONDS = Number(arg('seconds', '10'));
const LIST_RUNS = Number(arg('list-runs', '1000000'));
const ONLY = arg('only', 'all');
const runs = (scenario: string) => ONLY === 'all' || ONLY === scenario;
const PG_URL = process.env.RUNBOX_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const backends =
  arg('backend', 'all') === 'all'
    ? (['sqlite', 'postgres'] as const)
    : ([arg('backend', 'sqlite')] as ('sqlite' | 'postgres')[]);

type Row = [string, string, string];
const rows: Row[] = [];
const report = (backend: string, what: string, value: string) => {
  if (value.includes('NaN')) return; // a scenario left out with --only
  rows.push([backend, what, value]);
  console.log(`  ${backend.padEnd(8)} ${what.padEnd(58)} ${value}`);
};
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log('Runbox benchmark');
console.log(
  `  machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} free), ${osType()} ${release()}, Node ${process.version}`,
);
console.log(`  rounds: ${ROUNDS} (figures are medians), load windows: ${SECONDS} s\n`);

/** The machine's bare Fastify figures (req/s), when measured: other figures are put against them. */
const ceiling = { post: NaN, get: NaN };
const share = (value: number, of: number) => `${fmt((100 * value) / of, 1)} %`;

if (runs('ceiling')) {
  const post: number[] = [],
    get: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const c = await httpCeiling(SECONDS);
    post.push(c.postRps);
    get.push(c.getRps);
    console.log(
      `  ceiling round ${round}: POST ${fmt(c.postRps)} req/s, GET ${fmt(c.getRps)} req/s`,
    );
  }
  ceiling.post = median(post);
  ceiling.get = median(get);
  report('machine', 'bare Fastify, no store: POST with 32 connections (req/s)', fmt(ceiling.post));
  report('machine', 'bare Fastify, no store: GET with 64 connections (req/s)', fmt(ceiling.get));
}

if (args.includes('--scale-out')) {
  for (const f of await scaleOut(PG_URL, { rounds: ROUNDS, seconds: SECONDS })) {
    report(f.shape, 'throughput, 32 clients, one-file runs (complete runs/s)', fmt(f.throughput));
    report(f.shape, '  CPU per run, all processes (ms, warm-ups included)', fmt(f.cpuMsPerRun, 2));
    report(
      f.shape,
      'dispatch latency, idle, 300 serial runs: p50 / p99 (ms)',
      `${fmt(f.dispatchP50, 2)} / ${fmt(f.dispatchP99, 2)}`,
    );
    report(
      f.shape,
      'status change → SSE client of the last node: p50 / p99 (ms)',
      `${fmt(f.eventP50, 1)} / ${fmt(f.eventP99, 1)}`,
    );
  }
}

const perBackend = ['idle', 'throughput', 'dispatch', 'status', 'cancel', 'list'].some(runs);
for (const backend of perBackend && !args.includes('--scale-out') ? backends : []) {
  const tp: number[] = [],
    cr: number[] = [],
    d50: number[] = [],
    d99: number[] = [],
    rps: number[] = [],
    srvCpu: number[] = [],
    cliCpu: number[] = [],
    appCpu: number[] = [],
    stmts: number[] = [];
  const c50: number[] = [],
    c99: number[] = [],
    idle: number[] = [],
    idleQ: number[] = [],
    rssIdle: number[] = [],
    rssLoad: number[] = [];
  const perRound = ['idle', 'throughput', 'dispatch', 'status', 'cancel'].some(runs);
  for (let round = 1; perRound && round <= ROUNDS; round++) {
    const s = await startServer(backend, PG_URL);
    try {
      const batchId = await setUp(s, { 'one.txt': 'x' });
      const waitBatch = await setUp(s, { 'wait.txt': 'x' });
      await createRun(s, batchId);
      await sleep(500);
      if (runs('idle')) {
        const [cpu, q] = await Promise.all([idleCpu(s.pid, 5), idleQueries(s.url, 5)]);
        idle.push(cpu);
        idleQ.push(q);
        rssIdle.push(rssMb(s.pid));
      }
      const line: string[] = [];
      if (runs('throughput')) {
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, rssMb(s.pid))), 200);
        const t = await throughput(s, batchId, 32, SECONDS);
        clearInterval(sampler);
        rssLoad.push(peak);
        tp.push(t.completePerSecond);
        cr.push(t.createPerSecond);
        srvCpu.push(t.serverCpuMsPerRun);
        cliCpu.push(t.clientCpuMsPerRun);
        appCpu.push(t.appCpuMsPerRun);
        stmts.push(t.statementsPerRun);
        if (t.failed > 0) console.log(`  !! ${t.failed} runs failed during the throughput round`);
        line.push(
          `${fmt(t.completePerSecond)} runs/s (server CPU ${fmt(t.serverCpuMsPerRun, 3)} ms/run)`,
        );
      }
      if (runs('dispatch')) {
        const d = await dispatchLatency(s, batchId, 1000);
        d50.push(d.p50);
        d99.push(d.p99);
        line.push(`dispatch p50 ${fmt(d.p50, 2)} ms`);
      }
      if (runs('status')) {
        const runId = await createRun(s, batchId);
        rps.push((await load(s, `/v2/apps/runs/${runId}`, 64, SECONDS)).rps);
        line.push(`status ${fmt(rps.at(-1)!)} req/s`);
      }
      if (runs('cancel')) {
        const c = await cancelLatency(s, waitBatch, 30);
        c50.push(c.p50);
        c99.push(c.p99);
        line.push(`cancel p99 ${fmt(c.p99, 1)} ms`);
      }
      console.log(`  ${backend} round ${round}: ${line.join(', ')}`);
    } finally {
      await s.stop();
    }
  }
  report(backend, 'throughput, 32 clients, one-file runs (complete runs/s)', fmt(median(tp)));
  report(backend, '  of which creates acknowledged (runs/s)', fmt(median(cr)));
  report(backend, '  database statements per run', fmt(median(stmts), 1));
  report(
    backend,
    '  CPU per run: server / app processes / bench client (ms)',
    `${fmt(median(srvCpu), 3)} / ${fmt(median(appCpu), 3)} / ${fmt(median(cliCpu), 3)}`,
  );
  // Machines differ, and shared ones vary by the hour: put against the same machine's bare
  // server, figures from different machines can be compared.
  report(
    backend,
    '  as a share of bare POST req/s on this machine',
    share(median(tp), ceiling.post),
  );
  report(
    backend,
    'dispatch latency, idle, 1,000 serial runs: p50 / p99 (ms)',
    `${fmt(median(d50), 2)} / ${fmt(median(d99), 2)}`,
  );
  report(backend, 'GET run status, 64 connections (req/s)', fmt(median(rps)));
  report(
    backend,
    '  as a share of bare GET req/s on this machine',
    share(median(rps), ceiling.get),
  );
  report(
    backend,
    'cancel → abort reaches app code: p50 / p99 (ms)',
    `${fmt(median(c50), 1)} / ${fmt(median(c99), 1)}`,
  );
  report(backend, 'idle server CPU (% of one core)', fmt(median(idle), 2));
  report(backend, 'idle server database statements per second', fmt(median(idleQ), 1));
  report(
    backend,
    'resident memory idle / peak under load (MiB)',
    `${fmt(median(rssIdle))} / ${fmt(median(rssLoad))}`,
  );

  if (LIST_RUNS > 0 && runs('list')) {
    const s = await startServer(backend, PG_URL);
    try {
      await setUp(s, {});
      await seedRuns(s, backend, LIST_RUNS, PG_URL);
      const first: number[] = [],
        byStatus: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        first.push((await load(s, '/v2/apps/runs?limit=50', 4, 5)).p99);
        byStatus.push((await load(s, '/v2/apps/runs?limit=50&status=FAILED', 4, 5)).p99);
      }
      report(
        backend,
        `list runs, ${fmt(LIST_RUNS)} stored, first page: p99 (ms)`,
        fmt(median(first), 1),
      );
      report(
        backend,
        `list runs, ${fmt(LIST_RUNS)} stored, status filter: p99 (ms)`,
        fmt(median(byStatus), 1),
      );
    } finally {
      await s.stop();
    }
  }
}

if (runs('storage'))
  await (await import('./scenarios/storage-throughput.js')).storageThroughput(report, ROUNDS);
console.log('\nSummary');
for (const [b, w, v] of rows) console.log(`  ${b.padEnd(8)} ${w.padEnd(58)} ${v}`);

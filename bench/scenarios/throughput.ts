import autocannon from 'autocannon';
import type { BenchServer } from '../server-process.js';
import { now, sleep } from '../stats.js';
import { cpuSeconds, descendantsCpuSeconds, queryCount } from './process-stats.js';

/** Whether any run is still unfinished (one row, so the check costs the server little). */
async function unfinished(s: BenchServer): Promise<number> {
  const res = await s.api('/v2/apps/runs?status=RUNNING&limit=1');
  return ((await res.json()) as { runs: unknown[] }).runs.length;
}

/**
 * Sustained throughput: `clients` concurrent connections each creating one-file runs for
 * `seconds`; runs per second from the first create until the last run is complete. The load
 * comes from autocannon (a few microseconds of client CPU a request), so the figure measures
 * the server rather than the benchmark's own HTTP client.
 */
export async function throughput(
  s: BenchServer,
  batchId: number,
  clients: number,
  seconds: number,
  warmupSeconds = 3,
) {
  // Sustained means steady state: the first seconds of load are spent starting the app's
  // processes and compiling hot code, so they are run first and not counted.
  if (warmupSeconds > 0) {
    await createLoad(s, batchId, clients, warmupSeconds);
    while ((await unfinished(s)) > 0) await sleep(25);
  }
  const serverCpu = cpuSeconds(s.pid);
  const appCpu = descendantsCpuSeconds(s.pid);
  const queriesBefore = await queryCount(s.url);
  const clientCpu = process.cpuUsage();
  const start = now();
  const created = await createLoad(s, batchId, clients, seconds);
  const createdIn = now() - start;
  while ((await unfinished(s)) > 0) await sleep(25);
  const total = now() - start;
  const client = process.cpuUsage(clientCpu);
  const queries = (await queryCount(s.url)) - queriesBefore;
  const failed = (
    (await (await s.api('/v2/apps/runs?status=FAILED&limit=10')).json()) as { runs: unknown[] }
  ).runs.length;
  return {
    runs: created,
    completePerSecond: created / (total / 1000),
    createPerSecond: created / (createdIn / 1000),
    failed,
    /** Server process CPU (user + system) per run, ms. */
    serverCpuMsPerRun: ((cpuSeconds(s.pid) - serverCpu) * 1000) / created,
    /** CPU of the app processes (the no-op app's warm pool) per run, ms. */
    appCpuMsPerRun: ((descendantsCpuSeconds(s.pid) - appCpu) * 1000) / created,
    /** Database statements per run (including the benchmark's own status polls). */
    statementsPerRun: queries / created,
    /** This benchmark client's CPU per run, ms. */
    clientCpuMsPerRun: (client.user + client.system) / 1000 / created,
  };
}

/** `clients` connections creating one-file runs for `seconds`; returns the runs created. */
async function createLoad(s: BenchServer, batchId: number, clients: number, seconds: number) {
  const result = await autocannon({
    url: `${s.url}/api/v2/apps/runs`,
    method: 'POST',
    connections: clients,
    duration: seconds,
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app_name: 'bench-noop', batch_id: batchId }),
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`throughput: ${result.non2xx} refused and ${result.errors} failed creates`);
  }
  return result['2xx'];
}

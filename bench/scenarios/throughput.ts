import { createRun, type BenchServer } from '../server-process.js';
import { now, sleep } from '../stats.js';
import { cpuSeconds, queryCount } from './process-stats.js';

/** Whether any run is still unfinished (one row, so the check costs the server little). */
async function unfinished(s: BenchServer): Promise<number> {
  const res = await s.api('/v2/apps/runs?status=RUNNING&limit=1');
  return ((await res.json()) as { runs: unknown[] }).runs.length;
}

/**
 * Sustained throughput: `clients` concurrent clients each creating one-file runs for
 * `seconds`; runs per second from the first create until the last run is complete.
 */
export async function throughput(
  s: BenchServer,
  batchId: number,
  clients: number,
  seconds: number,
) {
  let created = 0;
  const serverCpu = cpuSeconds(s.pid);
  const queriesBefore = await queryCount(s.url);
  const clientCpu = process.cpuUsage();
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (now() < end) {
        await createRun(s, batchId);
        created++;
      }
    }),
  );
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
    /** Database statements per run (including the benchmark's own status polls). */
    statementsPerRun: queries / created,
    /** This benchmark client's CPU per run, ms. */
    clientCpuMsPerRun: (client.user + client.system) / 1000 / created,
  };
}

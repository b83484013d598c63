/**
 * A deletion storm on a scale-out deployment (2 API nodes, 2 workers, one Postgres schema):
 * finished runs are deleted, whole, while as many new runs are created and executed. Afterwards
 * nothing of a deleted run remains (its rows in every run table, its input batch and stored
 * files, its log) and nothing of a kept run is missing.
 *
 * RUNBOX_STORM_RUNS sets how many runs are deleted and how many kept (default 300 each; the issue names 500).
 */
import { expect, it } from 'vitest';
import { finishedJob } from '../cli/process-helpers.js';
import { describePostgres } from '../helpers/backends.js';
import { scaleOutProcesses, startRun, type ApiNode } from './scale-out-cluster.js';

const RUNS = Number(process.env.RUNBOX_STORM_RUNS ?? 300);
const PARALLEL = 8;
const RUN_TABLES = ['runs', 'run_files', 'run_events', 'run_queue', 'run_leases'] as const;

interface Made {
  runId: string;
  batchId: number;
}

/** `count` runs of text-stats, each over its own one-file batch, spread over `nodes`. */
async function makeRuns(nodes: ApiNode[], count: number, tag: string): Promise<Made[]> {
  const out: Made[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let i = next++; i < count; i = next++) {
        const node = nodes[i % nodes.length]!;
        const batchId = await node.client.batch([`${tag}-${i}.txt`]);
        out.push({ runId: await startRun(node.client, 'text-stats', batchId), batchId });
      }
    }),
  );
  return out;
}

/** `fn` over `items`, PARALLEL at a time. */
async function eachParallel<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
    }),
  );
  return out;
}

describePostgres('a deletion storm', () => {
  const { deployment } = scaleOutProcesses();

  it(
    `${RUNS} runs deleted while ${RUNS} new ones run: nothing of a deleted run remains, nothing of a kept one is gone`,
    { timeout: 300_000 },
    async () => {
      const d = deployment();
      expect((await d.migrate()).code).toBe(0);
      const nodes = [await d.startApi(), await d.startApi()];
      await Promise.all([d.startWorker(), d.startWorker()]);
      const [a, b] = nodes as [ApiNode, ApiNode];

      const doomed = await makeRuns(nodes, RUNS, 'doomed');
      await a.client.allFinished(120_000);

      // The storm: deletions through both nodes while new runs are created and executed.
      const [kept, jobs] = await Promise.all([
        makeRuns(nodes, RUNS, 'kept'),
        eachParallel(doomed, async (r) => {
          const node = doomed.indexOf(r) % 2 === 0 ? b : a;
          const body = await node.client.json<Record<string, string | null>>(
            `/api/v2/apps/runs/${r.runId}`,
            { method: 'DELETE' },
            202,
          );
          const ids = new Set(Object.values(body));
          expect(ids.size).toBe(1);
          return [...ids][0]!;
        }),
      ]);
      for (const job of jobs) {
        expect((await finishedJob(a, d.token, job)).state, d.describe()).toBe('COMPLETE');
      }
      await b.client.allFinished(120_000);

      // Through the API: the deleted runs and their batches are gone, the kept ones complete.
      for (const r of doomed.slice(0, 20)) {
        expect((await b.api(`/api/v2/apps/runs/${r.runId}`, { token: d.token })).status).toBe(404);
        expect((await a.api(`/api/v2/batches/${r.batchId}`, { token: d.token })).status).toBe(404);
      }
      const statuses = await eachParallel(kept, async (r) => (await a.client.run(r.runId)).status);
      expect(new Set(statuses)).toEqual(new Set(['COMPLETE']));

      // In the database: no row of a deleted run in any run table, every row of a kept one.
      const doomedIds = doomed.map((r) => r.runId);
      const keptIds = kept.map((r) => r.runId);
      const count = async (table: string, ids: string[]) => {
        const column = table === 'runs' ? 'id' : 'run_id';
        const [row] = await d.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE ${column} = ANY($1)`,
          [ids],
        );
        return row!.n;
      };
      for (const table of RUN_TABLES) expect(await count(table, doomedIds), table).toBe(0);
      expect(await count('runs', keptIds)).toBe(RUNS);
      expect(await count('run_files', keptIds)).toBe(RUNS);
      expect(await count('run_queue', keptIds)).toBe(0);
      expect(await count('run_leases', keptIds)).toBe(0);
      const events = await d.sql<{ run_id: string; n: number }>(
        `SELECT run_id, count(*)::int AS n FROM run_events WHERE run_id = ANY($1) GROUP BY run_id`,
        [keptIds],
      );
      expect(events).toHaveLength(RUNS);
      expect(events.every((e) => e.n >= 3)).toBe(true);
      const batches = async (ids: number[]) =>
        (
          await d.sql<{ n: number }>(
            `SELECT (SELECT count(*)::int FROM batches WHERE id = ANY($1)) +
                    (SELECT count(*)::int FROM batch_files WHERE batch_id = ANY($1)) AS n`,
            [ids],
          )
        )[0]!.n;
      expect(await batches(doomed.map((r) => r.batchId))).toBe(0);
      expect(await batches(kept.map((r) => r.batchId))).toBe(2 * RUNS);

      // In storage: no stored file of a deleted run's batch or outputs; each kept batch's file.
      for (const r of doomed) {
        const inputs = d.storedObjects(`batches/${r.batchId}`);
        if (inputs === undefined) break;
        expect(inputs, `batch ${r.batchId}`).toEqual([]);
        expect(d.storedObjects(`runs/${r.runId}`)).toEqual([]);
      }
      for (const r of kept) {
        const inputs = d.storedObjects(`batches/${r.batchId}`);
        if (inputs === undefined) break;
        expect(inputs, `batch ${r.batchId}`).toHaveLength(1);
      }
    },
  );
});

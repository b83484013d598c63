/**
 * Two `runbox worker` processes share one Postgres queue (SPEC §2: claimed with
 * FOR UPDATE SKIP LOCKED): a thousand runs created through the API all complete, each is
 * executed exactly once, and both workers do part of the work.
 */
import { expect, it } from 'vitest';
import { describePostgres } from '../helpers/backends.js';
import { engineProcesses, executions, probePackage } from './cluster.js';

const RUNS = 1_000;

describePostgres('two workers on one Postgres queue', () => {
  const { cluster } = engineProcesses();

  it(
    'runs 1,000 runs exactly once each, shared between both workers',
    { timeout: 90_000 },
    async () => {
      const c = await cluster('postgres');
      const workers = await Promise.all([c.startWorker(), c.startWorker()]);
      const user = c.admin;
      await user.publish(await probePackage(4));
      const batch = await user.batch(['one.txt']);

      const created = await user.startRuns(RUNS, 16, batch, { exec_log: c.execLog });
      expect(new Set(created.map((r) => r.id)).size).toBe(RUNS);
      await user.allFinished(60_000);

      const runs = await user.runs();
      expect(runs).toHaveLength(RUNS);
      const statuses = new Map<string, number>();
      for (const r of runs) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      expect(Object.fromEntries(statuses)).toEqual({ COMPLETE: RUNS });

      // Each run executed once: one start line per run, for exactly the runs created.
      const starts = executions(c.execLog).filter((e) => e.event === 'start');
      expect(starts).toHaveLength(RUNS);
      expect(new Set(starts.map((e) => e.runId))).toEqual(new Set(created.map((r) => r.id)));
      // Both workers took part, and nothing else ran the app.
      const byWorker = new Map<number, number>();
      for (const e of starts) byWorker.set(e.worker, (byWorker.get(e.worker) ?? 0) + 1);
      expect([...byWorker.keys()].sort()).toEqual(workers.map((w) => w.pid).sort());
    },
  );
});

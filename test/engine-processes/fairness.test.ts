/**
 * Fair claiming (SPEC §2: runs are shared out between orgs so that one org's backlog never
 * starves another's): while a worker process is saturated with one org's backlog of thousands
 * of queued runs, a run that another org starts is taken at the next free slot, ahead of that
 * backlog, and finishes while most of the backlog is still waiting.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { engineProcesses, executions, probePackage, until } from './cluster.js';

const BACKLOG = 2_000;
/** Far more than the few backlog runs that end while the other org's run executes. */
const PATIENCE = 30;

describeEachBackend('fair share of a worker between orgs', (backend) => {
  const { cluster, newOrg } = engineProcesses();

  it(
    "another org's run is taken ahead of the first org's backlog",
    { timeout: 60_000 },
    async () => {
      const c = await cluster(backend);
      // Named to sort after the first org (`runbox`): coming first in some order must not be
      // what gets a run through.
      const [worker, other] = await Promise.all([c.startWorker(), newOrg(c, 'zeta')]);
      const busy = c.admin;
      // One file at a time: the worker's slots free up one by one, as with any slow app.
      const pkg = await probePackage(1);
      await Promise.all([busy.publish(pkg), other.publish(pkg)]);
      const [busyBatch, otherBatch] = await Promise.all([
        busy.batch(['backlog.txt']),
        other.batch(['urgent.txt']),
      ]);
      const keys = { exec_log: c.execLog, delay_ms: 100 };

      const backlog = await busy.startRuns(BACKLOG, 32, busyBatch, keys);
      const busyIds = new Set(backlog.map((r) => r.id));
      const busyEnded = () =>
        executions(c.execLog).filter((e) => e.event === 'end' && busyIds.has(e.runId)).length;
      const endedBefore = busyEnded();
      expect(endedBefore).toBeLessThan(BACKLOG / 4);

      const urgent = await other.startRun(otherBatch, keys);
      // First-come-first-served would make it wait for the whole backlog.
      await until(
        `the other org's run to finish, or ${PATIENCE} more runs of the backlog to`,
        async () => {
          const run = await other.run(urgent.id);
          return run.status !== 'RUNNING' || busyEnded() >= endedBefore + PATIENCE
            ? true
            : undefined;
        },
        60_000,
      );
      const done = await other.run(urgent.id);
      const meanwhile = busyEnded() - endedBefore;
      const unfinished = (await busy.runs()).filter((r) => r.status === 'RUNNING').length;
      expect(
        done.status,
        `${meanwhile} runs of the backlog finished meanwhile, ${unfinished} still waiting:\n` +
          (await other.log(urgent.id)),
      ).toBe('COMPLETE');
      expect(unfinished).toBeGreaterThan(BACKLOG / 2);
      expect(worker.exit, worker.describe()).toBeUndefined();
    },
  );
});

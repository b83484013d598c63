/**
 * A worker process dies mid-run (SIGKILL, no chance to clean up): its leases run out, another
 * worker puts its runs back in the queue and finishes them (SPEC §2), the run log says so, and
 * every file of every run has exactly one stored outcome.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { engineProcesses, executions, probePackage, until, type Client } from './cluster.js';

const FILES = ['a.txt', 'b.txt', 'c.txt', 'd.txt'];
const REQUEUED =
  /The worker running this run stopped responding; the run was put back in the queue/;

/** The stored results of a run: per file, its name, how many documents, and their fields. */
async function outcomes(user: Client, runId: string) {
  const files = await user.results(runId);
  return files.map((f) => {
    const fields: Record<string, string> = Object.fromEntries(
      f.documents.flatMap((d) => d.fields.map((x) => [x.field_name, x.value])),
    );
    return {
      name: f.original_file_name,
      docs: f.documents.length,
      file: fields.file,
      worker: fields.worker,
    };
  });
}

describeEachBackend('a worker process killed mid-run', (backend) => {
  const { cluster } = engineProcesses();

  it(
    'its runs go back to the queue and finish on the other worker, each file stored once',
    { timeout: 60_000 },
    async () => {
      const c = await cluster(backend, { RUNBOX_RUN_LEASE_MS: '1000' });
      const workers = await Promise.all([c.startWorker(), c.startWorker()]);
      const user = c.admin;
      // More files per run than the app runs at once: whichever runs the dead worker held, some
      // of their files had not started when it died.
      await user.publish(await probePackage(3));
      const batch = await user.batch(FILES);
      const runs = await user.startRuns(3, 3, batch, { exec_log: c.execLog, delay_ms: 800 });

      // The worker that started a file first holds runs; it is killed once a file of its ended,
      // so files of its runs are in flight and others not started.
      const first = await until('a file to start', () => executions(c.execLog)[0]);
      const victim = workers.find((w) => w.pid === first.worker)!;
      const survivor = workers.find((w) => w !== victim)!;
      expect(
        victim,
        `${first.worker} is one of ${workers.map((w) => w.pid).join(', ')}`,
      ).toBeDefined();
      await until('a file to finish on the victim', () =>
        executions(c.execLog).some((e) => e.event === 'end' && e.worker === victim.pid)
          ? true
          : undefined,
      );
      expect(await victim.crash()).toEqual({ code: null, signal: 'SIGKILL' });

      // The runs it was executing: it started files of them and they had not ended.
      const startedOnVictim = new Set(
        executions(c.execLog)
          .filter((e) => e.worker === victim.pid)
          .map((e) => e.runId),
      );
      const held: string[] = [];
      for (const id of startedOnVictim) {
        if ((await user.run(id)).status === 'RUNNING') held.push(id);
      }
      expect(held.length).toBeGreaterThan(0);

      await user.allFinished(40_000);
      expect(survivor.exit, survivor.describe()).toBeUndefined();
      expect(await user.runs('RUNNING')).toEqual([]);
      for (const run of runs) {
        const log = await user.log(run.id);
        expect(await user.run(run.id), log).toMatchObject({ status: 'COMPLETE' });
        // One outcome per file, the app's own, written by one of the two workers.
        const stored = await outcomes(user, run.id);
        expect(stored.map((f) => [f.name, f.docs, f.file])).toEqual(
          FILES.map((name) => [name, 1, name]),
        );
        for (const f of stored) {
          expect([String(victim.pid), String(survivor.pid)]).toContain(f.worker);
        }
        // The log records each file's outcome once.
        for (const name of FILES) {
          const lines = log.split('\n').filter((l) => l.includes(`[file] ${name}: done`));
          expect(lines, log).toHaveLength(1);
        }
      }
      for (const id of held) {
        const log = await user.log(id);
        expect(log).toMatch(REQUEUED);
        // Files the dead worker never finished were done by the survivor.
        const stored = await outcomes(user, id);
        expect(
          stored.map((f) => f.worker),
          log,
        ).toContain(String(survivor.pid));
      }
    },
  );
});

/**
 * Fencing by lease token (ARCHITECTURE.md, Runs): a worker that stops answering for longer
 * than its lease (a long GC pause, simulated with SIGSTOP) loses its run to another worker; when
 * it resumes (SIGCONT) and its app hands it the results it was computing, it cannot write them
 * over the new owner's. Every file ends with exactly one outcome, the new owner's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describePostgres } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { executions, probePackage } from '../engine-processes/probe-app.js';
import { scaleOutProcesses, startRun } from './scale-out-cluster.js';

const FILES = ['a.txt', 'b.txt', 'c.txt'];

describePostgres('fencing by lease token', () => {
  const { deployment } = scaleOutProcesses();

  it(
    'a paused worker whose lease expired cannot overwrite the new owner’s results',
    { timeout: 90_000 },
    async () => {
      const d = deployment({ env: { RUNBOX_RUN_LEASE_MS: '1500' } });
      expect((await d.migrate()).code).toBe(0);
      const api = await d.startApi();
      const log = join(mkdtempSync(join(tmpdir(), 'runbox-exec-')), 'executions.log');
      await api.client.publish(await probePackage(FILES.length));
      const batch = await api.client.batch(FILES);
      const paused = await d.startWorker();
      const id = await startRun(api.client, 'probe', batch, { exec_log: log, delay_ms: 3000 });

      // Paused while its app works on every file; the app (a child process) keeps going.
      await until('every file to start on the first worker', () =>
        executions(log).filter((e) => e.event === 'start').length === FILES.length
          ? true
          : undefined,
      );
      process.kill(paused.pid, 'SIGSTOP');
      try {
        const owner = await d.startWorker();
        const run = await api.client.finished(id, 40_000);
        expect(run.status, d.describe()).toBe('COMPLETE');
        // The paused worker's app finished its files too, before or after the new owner's.
        await until('the paused worker’s app to finish its files', () =>
          executions(log).filter((e) => e.event === 'end' && e.worker === paused.pid).length ===
          FILES.length
            ? true
            : undefined,
        );
        process.kill(paused.pid, 'SIGCONT');
        // Resumed, it offers its results; they are refused because its lease token is stale.
        await paused.waitForStdout(/lease lost; another worker owns the run now/);

        const text = await api.client.log(id);
        expect(text).toMatch(/stopped responding; the run was put back in the queue \(lost 1/);
        for (const name of FILES) {
          expect(
            text.split('\n').filter((l) => l.includes(`[file] ${name}: `)),
            text,
          ).toHaveLength(1);
        }
        const results = await api.client.results(id);
        expect(results.map((f) => f.original_file_name).sort()).toEqual(FILES);
        for (const f of results) {
          expect(f.documents).toHaveLength(1);
          const worker = f.documents[0]!.fields.find((x) => x.field_name === 'worker')!.value;
          expect(worker).toBe(String(owner.pid));
        }
        expect((await api.client.run(id)).status).toBe('COMPLETE');
      } finally {
        if (!paused.exit) process.kill(paused.pid, 'SIGCONT');
      }
    },
  );
});

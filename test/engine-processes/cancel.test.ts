/**
 * Cancelling across processes (SPEC §3): the cancel request reaches the API process, the run
 * executes in a `runbox worker` process; the app there gets the abort signal, stops, and the
 * run ends CANCELLED. On Postgres the request travels as a notification, on SQLite with the
 * worker's heartbeat.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { engineProcesses, executions, probePackage, until } from './cluster.js';

describeEachBackend('cancel a run executing in another process', (backend) => {
  const { cluster } = engineProcesses();

  it('the app sees the abort, stops, and the run ends CANCELLED', async () => {
    const c = await cluster(backend, {
      // A grace period far longer than the test: the app must stop on the signal, not be killed.
      RUNBOX_CANCEL_GRACE_MS: '600000',
      // SQLite has no notifications: the worker learns of the cancel on its next heartbeat
      // (every third of the lease; 10 s by default).
      ...(backend === 'sqlite' ? { RUNBOX_RUN_LEASE_MS: '1500' } : {}),
    });
    const worker = await c.startWorker();
    const user = c.admin;
    await user.publish(await probePackage(1));
    const batch = await user.batch(['slow.txt']);
    const run = await user.startRun(batch, { exec_log: c.execLog, delay_ms: 600_000 });
    await until('the app to start on the worker', async () =>
      (await user.log(run.id)).includes(`started slow.txt on worker ${worker.pid}`)
        ? true
        : undefined,
    );

    const cancelling = await user.cancel(run.id);
    expect(['RUNNING', 'CANCELLED']).toContain(cancelling.status);
    expect(cancelling.msg).toMatch(/cancel/i);
    expect(await user.finished(run.id)).toMatchObject({ id: run.id, status: 'CANCELLED' });

    const log = await user.log(run.id);
    expect(log).toContain('abort seen by slow.txt: The run was cancelled.');
    expect(log).toMatch(/\[status\] cancelling: Cancellation requested by /);
    expect(log).toMatch(/\[status\] cancelled: /);
    expect(log).not.toMatch(/did not stop within/);
    // The app stopped where it was: it never reached its end.
    expect(executions(c.execLog).map((e) => [e.event, e.runId])).toEqual([['start', run.id]]);
    const [file] = await user.results(run.id);
    expect(file?.documents.flatMap((d) => d.fields.map((f) => [f.value, f.error_msg]))).toEqual([
      ['ERROR', 'The run was cancelled.'],
      ['ERROR', 'The run was cancelled.'],
    ]);

    // The worker goes on with the next run.
    const next = await user.startRun(batch, { exec_log: c.execLog });
    expect(await user.finished(next.id)).toMatchObject({ status: 'COMPLETE' });
    expect(worker.exit, worker.describe()).toBeUndefined();
  });
});

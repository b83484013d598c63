/**
 * Stopping the job runner (SIGTERM) waits for running jobs only as long as it is given: a job
 * still running then keeps its lease, which expires so that another runner does it again.
 */
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { JobRunner } from '../../src/engine/job-runner.js';
import type { JobHandlers } from '../../src/engine/jobs/job-handlers.js';
import { newJob } from '../../src/engine/jobs/new-job.js';
import { Wakeup } from '../../src/engine/wakeup.js';
import { describeEachBackend } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { freshStore } from '../store/store-fixture.js';

describeEachBackend('stopping the job runner', (backend) => {
  it('returns after its grace period while a job still runs, leaving that job leased', async () => {
    const { store } = await freshStore(backend);
    await store.jobs.enqueue(
      newJob('delete-path', { key: 'files/x' }, { id: 'job-1', orgId: null, now: Date.now() }),
    );
    let started = false;
    const handlers = {
      // Never finishes, like a deletion of a huge folder.
      'delete-path': () => {
        started = true;
        return new Promise<string>(() => undefined);
      },
    } as unknown as JobHandlers;
    const runner = new JobRunner(
      {
        store,
        handlers,
        clock: { now: () => Date.now() },
        wakeup: new Wakeup(),
        log: pino({ level: 'silent' }),
      },
      { owner: 'runner-1', leaseMs: 60_000 },
    );
    runner.start();
    await until('the job to start', () => (started ? true : undefined));
    await runner.stop(200);
    const job = await store.jobs.get('job-1');
    expect(job).toMatchObject({ state: 'RUNNING', lease_owner: 'runner-1' });
    expect(job!.lease_expires_at).toBeGreaterThan(Date.now());
  });
});

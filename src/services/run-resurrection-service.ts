import { conflict, invalidInput, notFound } from '../contract/errors.js';
import { isTerminal, TERMINAL_RUN_STATES } from '../domain/run-state.js';
import type { Sources } from '../domain/sources.js';
import { statusEvent } from '../engine/run-executor.js';
import type { RunSignals } from '../engine/run-signals.js';
import { notificationJob } from '../engine/webhooks/run-notifications.js';
import type { Run } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import { MAX_TIMEOUT_SECONDS, type RunService } from './run-service.js';

/**
 * Resurrecting a run (Apify's `POST /v2/actor-runs/{id}/resurrect`): a finished run is queued
 * again as the same run, over the same input, and its files' outcomes are replaced by the new
 * execution's. The only way a finished run leaves its finished state; the transition is in its
 * history like any other, and the run counts how often it happened.
 */
export class RunResurrectionService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunService,
    private readonly signals: RunSignals,
    private readonly sources: Sources,
  ) {}

  /** `timeoutSeconds` replaces the run's timeout for the new execution (counted from its start). */
  async resurrect(p: Principal, id: string, o: { timeoutSeconds?: number } = {}): Promise<Run> {
    const t = o.timeoutSeconds;
    if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_SECONDS)) {
      throw invalidInput(
        `timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}.`,
      );
    }
    const now = this.sources.clock.now();
    const notified = await this.store.transaction(async (tx) => {
      const run = await tx.runs.get(p.orgId, id);
      if (!run) throw notFound(`Run ${id}`);
      this.runs.assertMayChange(p, run, 'resurrect');
      if (!isTerminal(run.state)) {
        throw conflict(
          `The run is not finished (${run.state}); only a finished run can be resurrected.`,
        );
      }
      if (run.deletion_job_id !== null) throw conflict('The run is being deleted.');
      if (run.batch_id !== null && !(await tx.batches.get(run.org_id, run.batch_id))) {
        throw conflict(`The run's input (batch ${run.batch_id}) was deleted.`);
      }
      const msg = `Resurrected by ${p.userId} (was ${run.state}); queued again over the same input.`;
      const moved = await tx.runs.resurrect(id, [...TERMINAL_RUN_STATES], {
        msg,
        timeout_ms: t !== undefined ? t * 1000 : run.timeout_ms,
      });
      if (!moved) throw conflict('The run changed state while resurrecting; try again.');
      await tx.runQueue.enqueue(run, now);
      await tx.runEvents.append([statusEvent(id, now, 'queued', msg)]);
      const job = notificationJob(run, 'resurrected', now, this.sources.ids.uuid());
      if (job) await tx.jobs.enqueue(job);
      return job !== undefined;
    });
    if (notified) this.signals.newJobs();
    this.signals.newWork();
    this.signals.changed(id);
    return this.runs.getRow(p, id);
  }
}

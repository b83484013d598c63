import { notFound } from '../contract/errors.js';
import type { JobKind, JobState } from '../contract/job-states.js';
import type { Sources } from '../domain/sources.js';
import type { JobPayloads } from '../engine/jobs/job-payloads.js';
import { newJob } from '../engine/jobs/new-job.js';
import type { Repositories, Store } from '../store/store.js';
import type { Principal } from './principal.js';

export class JobService {
  constructor(
    private readonly store: Store,
    private readonly sources: Sources,
    /** Wakes job runners (here and, on Postgres, in other processes). */
    private readonly onEnqueued: () => void,
  ) {}

  /** Adds a job inside the caller's transaction, so the job exists iff the change committed. */
  async enqueue<K extends JobKind>(
    tx: Repositories,
    orgId: string,
    kind: K,
    payload: JobPayloads[K],
  ): Promise<string> {
    const job = newJob(kind, payload, {
      id: this.sources.ids.uuid(),
      orgId,
      now: this.sources.clock.now(),
    });
    await tx.jobs.enqueue(job);
    return job.id;
  }

  /** Call after the enqueuing transaction committed. */
  wake(): void {
    this.onEnqueued();
  }

  async status(p: Principal, id: string): Promise<{ state: JobState; message: string }> {
    const job = await this.store.jobs.get(id);
    if (!job || job.org_id !== p.orgId) throw notFound(`Job ${id}`);
    return { state: job.state, message: job.message };
  }
}

import { sql, type Kysely } from 'kysely';
import type { BackendOps } from '../backend-ops.js';
import type { Database, JobRow, NewJob } from '../schema.js';

export type JobOutcome =
  | { state: 'COMPLETE'; message: string }
  | { state: 'FAILED'; message: string }
  /** Back to PENDING, to be tried again at `runAt`. */
  | { state: 'PENDING'; message: string; runAt: number };

export class JobRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ops: BackendOps,
  ) {}

  async enqueue(job: NewJob): Promise<void> {
    await this.db.insertInto('jobs').values(job).execute();
  }

  /** Adds the job unless one with its id exists (a handler that runs twice adds it once). */
  async enqueueOnce(job: NewJob): Promise<void> {
    await this.db
      .insertInto('jobs')
      .values(job)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async get(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  claim(args: { owner: string; limit: number; now: number; leaseUntil: number }) {
    return this.ops.claimJobs(this.db, args);
  }

  /** Extends the leases `owner` still holds, in one statement for the whole set. */
  async heartbeat(ids: string[], owner: string, leaseUntil: number, now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('jobs')
      .set({ lease_expires_at: leaseUntil, updated_at: now })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'RUNNING')
      .execute();
  }

  /**
   * Records how an attempt ended. Fenced by the lease: a runner whose lease was taken over
   * cannot overwrite the new owner's outcome. Returns false in that case.
   */
  async finish(id: string, owner: string, outcome: JobOutcome, now: number): Promise<boolean> {
    const terminal = outcome.state !== 'PENDING';
    const res = await this.db
      .updateTable('jobs')
      .set({
        state: outcome.state,
        message: outcome.message,
        lease_owner: null,
        lease_expires_at: null,
        run_at: outcome.state === 'PENDING' ? outcome.runAt : now,
        updated_at: now,
        finished_at: terminal ? now : null,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'RUNNING')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Ends jobs whose runner died holding them on their last allowed attempt: they are not
   * claimed again (a job that kills its runner every time would otherwise retry forever).
   */
  async failAbandoned(now: number): Promise<number> {
    const res = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'FAILED',
        message: sql<string>`'Failed after ' || ${eb.ref('attempts')} || ' attempts: the worker running it stopped responding.'`,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
        finished_at: now,
      }))
      .where('state', '=', 'RUNNING')
      .where('lease_expires_at', '<', now)
      .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** Forgets finished jobs older than `before` (ids must stay answerable for at least 24 h). */
  async purgeFinished(before: number): Promise<number> {
    const res = await this.db
      .deleteFrom('jobs')
      .where('finished_at', 'is not', null)
      .where('finished_at', '<', before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

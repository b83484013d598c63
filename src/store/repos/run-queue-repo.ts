import { sql, type Kysely } from 'kysely';
import type { Database, Run, RunFile } from '../schema.js';
import type { BackendOps } from '../backend-ops.js';
import { DeploymentRepo } from './deployment-repo.js';

export interface ClaimedRun {
  run: Run;
  /** Fencing token of this lease: results are written only while it still holds the run. */
  token: string;
  /** The run's files still without an outcome, by index. */
  files: RunFile[];
}

/**
 * The run queue and leases. A run is in `run_queue` exactly while it is `queued`; claiming
 * deletes its queue row, marks it running and leases it to the worker, all in the caller's
 * transaction. The queue and lease tables stay small however long the history grows.
 */
export class RunQueueRepo {
  private readonly skipLocked: boolean;
  private readonly writableCtes: boolean;

  constructor(
    private readonly db: Kysely<Database>,
    ops: Pick<BackendOps, 'supportsSkipLocked' | 'supportsWritableCtes'>,
  ) {
    this.skipLocked = ops.supportsSkipLocked;
    this.writableCtes = ops.supportsWritableCtes;
  }

  /**
   * Orgs with queued runs, by a loose index scan: one index probe per org, however many runs
   * each has queued.
   */
  private async queuedOrgs(): Promise<string[]> {
    const res = await sql<{ org_id: string }>`
      WITH RECURSIVE o(org_id) AS (
        SELECT MIN(org_id) FROM run_queue
        UNION ALL
        SELECT (SELECT MIN(org_id) FROM run_queue WHERE org_id > o.org_id) FROM o
        WHERE o.org_id IS NOT NULL
      )
      SELECT org_id FROM o WHERE org_id IS NOT NULL`.execute(this.db);
    return res.rows.map((r) => r.org_id);
  }

  /**
   * Takes up to `limit` queued runs, shared out fairly between the orgs that have any (so one
   * org's backlog never starves another's), oldest first within each org. Must run inside a
   * transaction. On Postgres rows other workers are claiming are skipped, not waited for.
   */
  async claim(a: {
    worker: string;
    limit: number;
    now: number;
    leaseUntil: number;
    newToken: () => string;
    /** Where in the list of orgs this claim starts (callers count up), so small claims take turns. */
    rotation?: number;
  }): Promise<ClaimedRun[]> {
    const found = await this.queuedOrgs();
    if (found.length === 0) return [];
    const start = (a.rotation ?? 0) % found.length;
    const orgs = [...found.slice(start), ...found.slice(0, start)];
    const share = Math.max(1, Math.ceil(a.limit / orgs.length));
    const pick = new QueuePick(this.db, this.skipLocked);
    for (const org of orgs) {
      await pick.fromOrg(org, Math.min(share, a.limit - pick.ids.length));
      if (pick.ids.length >= a.limit) break;
    }
    const ids = pick.ids;
    if (ids.length === 0) return [];
    const runs = await this.take(ids, a.now);
    if (runs.length === 0) return [];
    const pending = new Map<string, RunFile[]>();
    const files = await this.db
      .selectFrom('run_files')
      .selectAll()
      .where(
        'run_id',
        'in',
        runs.map((r) => r.id),
      )
      .where('state', '=', 'pending')
      .orderBy('run_id')
      .orderBy('file_index')
      .execute();
    for (const f of files) {
      const list = pending.get(f.run_id);
      if (list) list.push(f);
      else pending.set(f.run_id, [f]);
    }
    const claimed = runs.map((run) => ({
      run,
      token: a.newToken(),
      files: pending.get(run.id) ?? [],
    }));
    await this.db
      .insertInto('run_leases')
      .values(
        claimed.map((c) => ({
          run_id: c.run.id,
          worker: a.worker,
          token: c.token,
          expires_at: a.leaseUntil,
          deployment_id: c.run.deployment_id,
        })),
      )
      .execute();
    return claimed;
  }

  /**
   * Deletes the picked runs' queue rows and marks them running: in one statement where a CTE
   * may delete (Postgres: a round trip fewer on every claim), else in two.
   */
  private async take(ids: string[], now: number): Promise<Run[]> {
    const running = {
      state: 'running' as const,
      started_at: sql<number>`COALESCE(started_at, ${now})`,
    };
    if (this.writableCtes) {
      return this.db
        .with('taken', (db) =>
          db.deleteFrom('run_queue').where('run_id', 'in', ids).returning('run_id'),
        )
        .updateTable('runs')
        .set(running)
        .where('id', 'in', (eb) => eb.selectFrom('taken').select('taken.run_id'))
        .where('state', '=', 'queued')
        .returningAll()
        .execute();
    }
    await this.db.deleteFrom('run_queue').where('run_id', 'in', ids).execute();
    return this.db
      .updateTable('runs')
      .set(running)
      .where('id', 'in', ids)
      .where('state', '=', 'queued')
      .returningAll()
      .execute();
  }

  /** Extends every lease `worker` holds, in one statement. */
  async heartbeat(worker: string, leaseUntil: number): Promise<void> {
    await this.db
      .updateTable('run_leases')
      .set({ expires_at: leaseUntil })
      .where('worker', '=', worker)
      .execute();
  }

  /** Removes up to `limit` expired leases and returns their runs (the sweeper requeues them). */
  async takeExpired(now: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('run_leases')
      .select('run_id')
      .where('expires_at', '<', now)
      .limit(limit)
      .execute();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_id);
    const gone = await this.db
      .deleteFrom('run_leases')
      .where('run_id', 'in', ids)
      .where('expires_at', '<', now)
      .returning('run_id')
      .execute();
    return gone.map((r) => r.run_id);
  }

  /** Puts a run back in the queue (its state must already be `queued`). */
  async enqueue(
    run: Pick<Run, 'id' | 'org_id' | 'deployment_id'>,
    queuedAt: number,
  ): Promise<void> {
    await this.db
      .insertInto('run_queue')
      .values({
        run_id: run.id,
        org_id: run.org_id,
        queued_at: queuedAt,
        deployment_id: run.deployment_id,
      })
      .onConflict((oc) => oc.column('run_id').doNothing())
      .execute();
  }

  /** Removes a queued run from the queue; false when it was not there (already claimed). */
  async dequeue(runId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('run_queue')
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /**
   * Ends the leases these (run, fencing token) pairs still hold; returns their runs. Tokens are
   * unique, so matching run and token sets (by the primary key) matches exactly the pairs.
   */
  async releaseMany(leases: { runId: string; token: string }[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < leases.length; i += 500) {
      const part = leases.slice(i, i + 500);
      const rows = await this.db
        .deleteFrom('run_leases')
        .where(
          'run_id',
          'in',
          part.map((l) => l.runId),
        )
        .where(
          'token',
          'in',
          part.map((l) => l.token),
        )
        .returning('run_id')
        .execute();
      out.push(...rows.map((r) => r.run_id));
    }
    return out;
  }

  /** Ends a lease, if `token` still holds it. */
  async release(runId: string, token: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('run_leases')
      .where('run_id', '=', runId)
      .where('token', '=', token)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Of `runIds`, those whose run is being cancelled (piggybacked on the heartbeat). */
  async cancelling(runIds: string[]): Promise<string[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('runs')
      .select('id')
      .where('id', 'in', runIds)
      .where('state', '=', 'cancelling')
      .execute();
    return rows.map((r) => r.id);
  }
}

/**
 * Picks queued runs for one claim, oldest first per org, honouring deployments' concurrency
 * limits: a deployment's runs are taken only while it has spare capacity, and once it has none
 * its runs are skipped so the runs queued behind them are not held up.
 */
class QueuePick {
  readonly ids: string[] = [];
  /** Spare capacity of limited deployments seen so far (unlimited ones are absent). */
  private readonly spare = new Map<string, number>();
  private readonly checked = new Set<string>();
  private readonly full = new Set<string>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly skipLocked: boolean,
  ) {}

  async fromOrg(org: string, want: number): Promise<void> {
    // A few passes at most: each pass after the first skips the deployments found full.
    for (let pass = 0; pass < 3 && want > 0; pass++) {
      const rows = await this.queued(org, want);
      await this.learnCapacity(rows);
      let blocked = false;
      for (const r of rows) {
        const d = r.deployment_id;
        const left = d === null ? undefined : this.spare.get(d);
        if (left === undefined || left > 0) {
          if (left !== undefined) this.spare.set(d!, left - 1);
          this.ids.push(r.run_id);
          want--;
        } else {
          this.full.add(d!);
          blocked = true;
        }
      }
      if (!blocked || rows.length === 0) return;
    }
  }

  /** The limit is written into the SQL (SQLite prepares a statement again for a bound one). */
  private async queued(org: string, limit: number) {
    const lock = this.skipLocked ? sql`FOR UPDATE SKIP LOCKED` : sql``;
    const skipFull =
      this.full.size > 0
        ? sql`AND (deployment_id IS NULL OR deployment_id NOT IN (${sql.join([...this.full])}))`
        : sql``;
    const skipTaken =
      this.full.size > 0 && this.ids.length > 0
        ? sql`AND run_id NOT IN (${sql.join(this.ids)})`
        : sql``;
    const res = await sql<{ run_id: string; deployment_id: string | null }>`
      SELECT run_id, deployment_id FROM run_queue WHERE org_id = ${org} ${skipFull} ${skipTaken}
      ORDER BY queued_at, run_id LIMIT ${sql.lit(limit)} ${lock}`.execute(this.db);
    return res.rows;
  }

  private async learnCapacity(rows: { deployment_id: string | null }[]): Promise<void> {
    const fresh = [
      ...new Set(rows.map((r) => r.deployment_id).filter((d): d is string => d !== null)),
    ].filter((d) => !this.checked.has(d));
    if (fresh.length === 0) return;
    for (const d of fresh) this.checked.add(d);
    const deployments = new DeploymentRepo(this.db);
    for (const [d, n] of await deployments.spareCapacity(fresh, this.skipLocked)) {
      this.spare.set(d, n);
    }
  }
}

import { sql, type Kysely } from 'kysely';
import { Precompiled } from '../precompiled.js';
import type { Database, Run, RunFile, RunStateColumn } from '../schema.js';

export interface RunListFilter {
  orgId: string;
  appId?: string | undefined;
  deploymentId?: string | undefined;
  createdBy?: string | undefined;
  runId?: string | undefined;
  states?: RunStateColumn[] | undefined;
  outputWorkspaces?: string[] | undefined;
  /** Inclusive bounds on created_at (ms). */
  from?: number | undefined;
  to?: number | undefined;
  /** Sort by state first (then time), as `sort_by=status` asks. */
  sortByState?: boolean;
  /**
   * With `sortByState`, the rank of each state (lowest first): a dialect that shows several
   * states as one status sorts by what it shows, not by the internal state's name.
   */
  stateRank?: Record<RunStateColumn, number> | undefined;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export interface FileCounts {
  pending: number;
  done: number;
  failed: number;
  /** Files the review policy wants a person to look at. */
  needsReview: number;
}

/** File outcomes per statement: 7 parameters each, well under every backend's limit. */
const RECORD_CHUNK = 500;

export interface FileResult {
  fileIndex: number;
  state: 'done' | 'failed';
  error: string | null;
  documents: string | null;
  /** The run's review policy wants a person to look at this file. */
  needsReview: boolean;
}

/** A run file before any execution wrote its outcome: no result, nothing to review. */
export const PENDING_FILE = {
  state: 'pending',
  error: null,
  documents: null,
  finished_at: null,
  needs_review: 0,
  reviewed_by: null,
  reviewed_at: null,
} as const satisfies Partial<RunFile>;

const GET_RUN = new Precompiled<{ id: string; orgId: string }, Run>((db, p) =>
  db.selectFrom('runs').selectAll().where('id', '=', p('id')).where('org_id', '=', p('orgId')),
);

/** Run history and each run's files. The queue and leases are in RunQueueRepo. */
export class RunRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records new queued runs with their files and puts them in the queue: a few multi-row
   * statements for the whole set, however many runs it holds.
   */
  async insert(runs: Run[], files: RunFile[]): Promise<void> {
    if (runs.length === 0) return;
    // Bounded statements (SQLite allows 32,766 parameters; a run has 24 columns).
    for (let i = 0; i < runs.length; i += 500) {
      await this.db
        .insertInto('runs')
        .values(runs.slice(i, i + 500))
        .execute();
    }
    for (let i = 0; i < files.length; i += 500) {
      await this.db
        .insertInto('run_files')
        .values(files.slice(i, i + 500))
        .execute();
    }
    for (let i = 0; i < runs.length; i += 1000) {
      await this.db
        .insertInto('run_queue')
        .values(
          runs.slice(i, i + 1000).map((run) => ({
            run_id: run.id,
            org_id: run.org_id,
            queued_at: run.created_at,
            deployment_id: run.deployment_id,
          })),
        )
        .execute();
    }
  }

  async get(orgId: string, id: string): Promise<Run | undefined> {
    return GET_RUN.first(this.db, { id, orgId });
  }

  async getById(id: string): Promise<Run | undefined> {
    return this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * A page of runs, newest (or oldest) first. Every filter combination is served by one of
   * the (org_id, …, created_at, id) indexes; the sort key is (created_at, id).
   */
  async list(f: RunListFilter): Promise<Run[]> {
    let q = this.filtered(f).selectAll();
    if (f.sortByState && f.stateRank) {
      const rank = f.stateRank;
      const whens = Object.entries(rank).map(
        ([state, n]) => sql`WHEN ${sql.lit(state)} THEN ${sql.lit(n)}`,
      );
      q = q.orderBy(sql`CASE state ${sql.join(whens, sql` `)} END`, f.order);
    } else if (f.sortByState) q = q.orderBy('state', f.order);
    return q
      .orderBy('created_at', f.order)
      .orderBy('id', f.order)
      .limit(f.limit)
      .offset(f.offset)
      .execute();
  }

  /**
   * How many runs `list` would page through with the same filters (sort, limit and offset
   * aside): a COUNT over the same (org_id, …, created_at, id) index the page reads.
   */
  async count(f: Omit<RunListFilter, 'order' | 'limit' | 'offset'>): Promise<number> {
    const row = await this.filtered(f)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The runs table narrowed by a list filter: the one home of what each filter means. */
  private filtered(f: Omit<RunListFilter, 'order' | 'limit' | 'offset'>) {
    let q = this.db.selectFrom('runs').where('org_id', '=', f.orgId);
    if (f.appId !== undefined) q = q.where('app_id', '=', f.appId);
    if (f.deploymentId !== undefined) q = q.where('deployment_id', '=', f.deploymentId);
    if (f.createdBy !== undefined) q = q.where('created_by', '=', f.createdBy);
    if (f.runId !== undefined) q = q.where('id', '=', f.runId);
    if (f.states && f.states.length > 0) q = q.where('state', 'in', f.states);
    if (f.outputWorkspaces && f.outputWorkspaces.length > 0) {
      q = q.where('output_workspace', 'in', f.outputWorkspaces);
    }
    if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
    if (f.to !== undefined) q = q.where('created_at', '<=', f.to);
    return q;
  }

  async files(runId: string, offset: number, limit: number): Promise<RunFile[]> {
    return this.db
      .selectFrom('run_files')
      .selectAll()
      .where('run_id', '=', runId)
      .where('file_index', '>=', offset)
      .orderBy('file_index')
      .limit(limit)
      .execute();
  }

  /**
   * Records file outcomes, each only while `token` still holds its run's lease and only once
   * (the file is still pending), in one statement for them all. Returns the files written, as
   * `runId/fileIndex`.
   */
  async recordFiles(
    outcomes: { runId: string; token: string; result: FileResult }[],
    now: number,
  ): Promise<Set<string>> {
    const written = new Set<string>();
    for (let i = 0; i < outcomes.length; i += RECORD_CHUNK) {
      const rows = outcomes.slice(i, i + RECORD_CHUNK).map(
        ({ runId, token, result: r }) =>
          sql`(CAST(${runId} AS TEXT), CAST(${r.fileIndex} AS INTEGER), CAST(${token} AS TEXT),
            CAST(${r.state} AS TEXT), CAST(${r.error} AS TEXT), CAST(${r.documents} AS TEXT),
            CAST(${r.needsReview ? 1 : 0} AS INTEGER))`,
      );
      const res = await sql<{ run_id: string; file_index: number }>`
        WITH v(run_id, file_index, token, state, error, documents, needs_review) AS (
          VALUES ${sql.join(rows)}
        )
        UPDATE run_files SET state = v.state, error = v.error, documents = v.documents,
          needs_review = v.needs_review, finished_at = ${now}
        FROM v
        WHERE run_files.run_id = v.run_id AND run_files.file_index = v.file_index
          AND run_files.state = 'pending'
          AND EXISTS (SELECT 1 FROM run_leases l WHERE l.run_id = v.run_id AND l.token = v.token)
        RETURNING run_files.run_id, run_files.file_index`.execute(this.db);
      for (const r of res.rows) written.add(`${r.run_id}/${Number(r.file_index)}`);
    }
    return written;
  }

  async file(runId: string, fileIndex: number): Promise<RunFile | undefined> {
    return this.db
      .selectFrom('run_files')
      .selectAll()
      .where('run_id', '=', runId)
      .where('file_index', '=', fileIndex)
      .executeTakeFirst();
  }

  /** The files the review policy wants a person to look at, by index. */
  async filesToReview(runId: string): Promise<RunFile[]> {
    return this.db
      .selectFrom('run_files')
      .selectAll()
      .where('run_id', '=', runId)
      .where('needs_review', '=', 1)
      .orderBy('file_index')
      .execute();
  }

  async unreviewedCount(runId: string): Promise<number> {
    const row = await this.db
      .selectFrom('run_files')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', runId)
      .where('needs_review', '=', 1)
      .where('reviewed_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Saves a reviewer's work on a file, only if its documents are still `expected` (what the
   * reviewer read): two reviewers cannot overwrite each other's edits unseen.
   */
  async saveReview(
    runId: string,
    fileIndex: number,
    expected: string | null,
    set: { documents: string; reviewed_by: string | null; reviewed_at: number | null },
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('run_files')
      .set(set)
      .where('run_id', '=', runId)
      .where('file_index', '=', fileIndex)
      .where((eb) =>
        expected === null ? eb('documents', 'is', null) : eb('documents', '=', expected),
      )
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Of `runIds`, those with a file that has no outcome yet. */
  async withPendingFiles(runIds: string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('run_files')
      .select('run_id')
      .distinct()
      .where('run_id', 'in', runIds)
      .where('state', '=', 'pending')
      .execute();
    return new Set(rows.map((r) => r.run_id));
  }

  async fileCounts(runId: string): Promise<FileCounts> {
    return (await this.fileCountsOf([runId])).get(runId)!;
  }

  /** `fileCounts` of several runs in one statement (a page of a list), by run id. */
  async fileCountsOf(runIds: string[]): Promise<Map<string, FileCounts>> {
    const out = new Map<string, FileCounts>(
      runIds.map((id) => [id, { pending: 0, done: 0, failed: 0, needsReview: 0 }]),
    );
    if (runIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('run_files')
      .select([
        'run_id',
        'state',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.sum<number>('needs_review').as('review'),
      ])
      .where('run_id', 'in', runIds)
      .groupBy(['run_id', 'state'])
      .execute();
    for (const r of rows) {
      const c = out.get(r.run_id)!;
      c[r.state] = Number(r.n);
      c.needsReview += Number(r.review ?? 0);
    }
    return out;
  }

  /**
   * Moves a run from one of `from` to `to`; false when it was in none of them (someone else
   * moved it first). The only way run states change.
   */
  async transition(
    id: string,
    from: RunStateColumn[],
    to: RunStateColumn,
    set: Partial<
      Pick<
        Run,
        'msg' | 'started_at' | 'finished_at' | 'files_failed' | 'lost_leases' | 'review_completed'
      >
    >,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('runs')
      .set({ state: to, ...set })
      .where('id', '=', id)
      .where('state', 'in', from)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async setStatusMessage(id: string, message: string, terminal: boolean): Promise<void> {
    await this.db
      .updateTable('runs')
      .set({ status_message: message, status_message_terminal: terminal ? 1 : 0 })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Puts a finished run back to `queued` for another execution over the same input (resurrect),
   * from one of the finished states `from`; false when it was in none of them. Its files become
   * pending again, with the previous execution's outcomes and reviews cleared.
   */
  async resurrect(
    id: string,
    from: RunStateColumn[],
    set: Pick<Run, 'msg' | 'timeout_ms'>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('runs')
      .set((eb) => ({
        state: 'queued',
        ...set,
        started_at: null,
        finished_at: null,
        files_failed: 0,
        lost_leases: 0,
        review_completed: 0,
        status_message: null,
        status_message_terminal: 0,
        resurrect_count: eb('resurrect_count', '+', 1),
      }))
      .where('id', '=', id)
      .where('state', 'in', from)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await this.db.updateTable('run_files').set(PENDING_FILE).where('run_id', '=', id).execute();
    return true;
  }

  /**
   * Marks a run as handed over by retention; false when it already was, or its record is being
   * deleted. On Postgres a concurrent marker waits for this one's transaction, then sees it.
   */
  async markRetentionApplied(id: string, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('runs')
      .set({ retention_applied_at: now })
      .where('id', '=', id)
      .where('retention_applied_at', 'is', null)
      .where('deletion_job_id', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Records the job deleting a run's record; false when one was already requested. */
  async markDeletionRequested(id: string, jobId: string): Promise<boolean> {
    const res = await this.db
      .updateTable('runs')
      .set({ deletion_job_id: jobId })
      .where('id', '=', id)
      .where('deletion_job_id', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Finished runs of an org older than `finishedBefore` whose deletion nobody requested yet,
   * oldest first: by app or deployment, or (with the exclusions) the org's rest.
   */
  async retentionCandidates(q: {
    orgId: string;
    finishedBefore: number;
    appId?: string | undefined;
    deploymentId?: string | undefined;
    exceptApps?: string[];
    exceptDeployments?: string[];
    limit: number;
  }): Promise<Run[]> {
    let query = this.db
      .selectFrom('runs')
      .selectAll()
      .where('org_id', '=', q.orgId)
      .where('deletion_job_id', 'is', null)
      .where('retention_applied_at', 'is', null)
      .where('finished_at', 'is not', null)
      .where('finished_at', '<', q.finishedBefore)
      .where('state', 'in', ['complete', 'failed', 'timed_out', 'cancelled']);
    if (q.appId !== undefined) query = query.where('app_id', '=', q.appId);
    if (q.deploymentId !== undefined) query = query.where('deployment_id', '=', q.deploymentId);
    if (q.exceptApps && q.exceptApps.length > 0) {
      query = query.where('app_id', 'not in', q.exceptApps);
    }
    if (q.exceptDeployments && q.exceptDeployments.length > 0) {
      const except = q.exceptDeployments;
      query = query.where((eb) =>
        eb.or([eb('deployment_id', 'is', null), eb('deployment_id', 'not in', except)]),
      );
    }
    return query.orderBy('finished_at').limit(q.limit).execute();
  }

  /** `transition` for several runs at once; returns the ids that moved. */
  async transitionMany(
    ids: string[],
    from: RunStateColumn[],
    to: RunStateColumn,
    set: Partial<Pick<Run, 'msg' | 'finished_at' | 'files_failed'>>,
  ): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.db
        .updateTable('runs')
        .set({ state: to, ...set })
        .where('id', 'in', ids.slice(i, i + 1000))
        .where('state', 'in', from)
        .returning('id')
        .execute();
      out.push(...rows.map((r) => r.id));
    }
    return out;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('runs').where('id', '=', id).execute();
  }
}

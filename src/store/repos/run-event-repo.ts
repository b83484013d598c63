import type { Kysely } from 'kysely';
import type { Database, RunEvent } from '../schema.js';

export interface NewRunEvent {
  run_id: string;
  at: number;
  kind: 'status' | 'file' | 'log';
  data: string;
}

/** Each run's history: status changes, per-file outcomes and log lines, in order. */
export class RunEventRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async append(events: NewRunEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      await this.db
        .insertInto('run_events')
        .values(events.slice(i, i + 500))
        .execute();
    }
  }

  /** Events of a run after event id `after`, oldest first. */
  async since(runId: string, after: number, limit: number): Promise<RunEvent[]> {
    return this.db
      .selectFrom('run_events')
      .selectAll()
      .where('run_id', '=', runId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * Events of a run with ids up to `upTo` recorded since `from` (ms): a follower re-reads them
   * to catch an event whose id is lower than one it already saw but which committed later.
   */
  async recentUpTo(runId: string, upTo: number, from: number): Promise<RunEvent[]> {
    return this.db
      .selectFrom('run_events')
      .selectAll()
      .where('run_id', '=', runId)
      .where('id', '<=', upTo)
      .where('at', '>=', from)
      .orderBy('id')
      .execute();
  }

  /** Removes the app's log lines; status and file events stay with the run record. */
  async deleteLogs(runId: string): Promise<void> {
    await this.db
      .deleteFrom('run_events')
      .where('run_id', '=', runId)
      .where('kind', '=', 'log')
      .execute();
  }
}

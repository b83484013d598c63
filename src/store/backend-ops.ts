import type { Kysely } from 'kysely';
import type { ChangeTopic } from './cache-changes.js';
import type { Database, JobRow } from './schema.js';

/** The few queries whose SQL differs per backend. Same file names under sqlite/ and postgres/. */
export interface BackendOps {
  /** Row locks can skip rows other transactions hold (Postgres); SQLite has one writer anyway. */
  supportsSkipLocked: boolean;
  /** DELETE or UPDATE … RETURNING inside WITH (Postgres); SQLite allows them only on their own. */
  supportsWritableCtes: boolean;
  /**
   * The data of `topic` changed in `db` (a transaction, or the root): everyone keeping results
   * of it must hear of it (see `CacheChanges`).
   */
  changed(db: Kysely<Database>, topic: ChangeTopic): Promise<void>;
  /**
   * Takes up to `limit` due jobs (pending and due, or leased with an expired lease) and leases
   * them to `owner` until `leaseUntil`, in one statement or one immediate transaction.
   */
  claimJobs(
    db: Kysely<Database>,
    args: { owner: string; limit: number; now: number; leaseUntil: number },
  ): Promise<JobRow[]>;
}

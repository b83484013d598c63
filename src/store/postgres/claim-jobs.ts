import { sql, type Kysely } from 'kysely';
import type { Database, JobRow } from '../schema.js';

/**
 * `FOR UPDATE SKIP LOCKED` lets any number of runners claim concurrently without waiting on
 * each other or taking the same row; the two CTEs each use their partial index (Postgres does
 * not allow row locks under UNION, hence CTEs). Expired leases fill only what the due jobs left
 * of `limit`, so one claim never takes more than `limit` jobs nor locks rows it will not take.
 */
export async function claimJobs(
  db: Kysely<Database>,
  a: { owner: string; limit: number; now: number; leaseUntil: number },
): Promise<JobRow[]> {
  const res = await sql<JobRow>`
    WITH due AS (
      SELECT id FROM jobs WHERE state = 'PENDING' AND run_at <= ${a.now}
      ORDER BY run_at LIMIT ${a.limit} FOR UPDATE SKIP LOCKED
    ), expired AS (
      SELECT id FROM jobs WHERE state = 'RUNNING' AND lease_expires_at < ${a.now}
        AND attempts < max_attempts
      LIMIT GREATEST(0, ${a.limit} - (SELECT count(*) FROM due)) FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs
    SET state = 'RUNNING', lease_owner = ${a.owner}, lease_expires_at = ${a.leaseUntil},
        attempts = attempts + 1, updated_at = ${a.now}
    WHERE id IN (SELECT id FROM due UNION ALL SELECT id FROM expired)
    RETURNING *`.execute(db);
  return res.rows;
}

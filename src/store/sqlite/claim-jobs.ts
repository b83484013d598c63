import { sql, type Kysely } from 'kysely';
import type { Database, JobRow } from '../schema.js';

/**
 * SQLite has one writer at a time, so a single UPDATE … RETURNING (inside the immediate
 * transaction every write takes) is already exclusive: no row can be claimed twice. The limit
 * is written into the SQL, as the dialect does with Kysely's limits (see sqlite-dialect.ts).
 */
export async function claimJobs(
  db: Kysely<Database>,
  a: { owner: string; limit: number; now: number; leaseUntil: number },
): Promise<JobRow[]> {
  const res = await sql<JobRow>`
    UPDATE jobs
    SET state = 'RUNNING', lease_owner = ${a.owner}, lease_expires_at = ${a.leaseUntil},
        attempts = attempts + 1, updated_at = ${a.now}
    WHERE id IN (
      SELECT id FROM jobs WHERE state = 'PENDING' AND run_at <= ${a.now}
      UNION ALL
      SELECT id FROM jobs WHERE state = 'RUNNING' AND lease_expires_at < ${a.now}
        AND attempts < max_attempts
      LIMIT ${sql.lit(a.limit)}
    )
    RETURNING *`.execute(db);
  return res.rows;
}

import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import type { BenchServer } from '../server-process.js';

const STATES = ['complete', 'complete', 'complete', 'failed', 'cancelled', 'timed_out'];

/**
 * Stores `n` finished runs straight into the database (spread over the last 23 hours, mostly
 * complete), as a busy install's history would look.
 */
export async function seedRuns(
  s: BenchServer,
  backend: 'sqlite' | 'postgres',
  n: number,
  pgUrl?: string,
) {
  const now = Date.now();
  const states = STATES.map((x) => `'${x}'`).join(',');
  const insert = (gen: string, i: string, ts: string) => `
    INSERT INTO runs (id, org_id, app_id, app_version, deployment_id, created_by, batch_id, input_dir,
      input_prefix, output_workspace, output_dir, settings, tags, state, msg, timeout_ms, file_count,
      files_failed, lost_leases, created_at, started_at, finished_at)
    SELECT 'seed-' || ${i}, 'runbox', 'seed-app', '1.0.0', NULL, 'admin', 1, NULL, 'batches/1', NULL, NULL,
      '{}', NULL, (ARRAY[${states}])[1 + (${i} % ${STATES.length})], 'Seeded.', 3600000, 1, 0, 0,
      ${ts}, ${ts}, ${ts} + 50
    FROM ${gen}`;
  if (backend === 'postgres') {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`SET search_path TO ${s.schema}`);
    await client.query(
      insert(
        `generate_series(1, ${n}) AS g(i)`,
        'i',
        `(${now} - (i::bigint * ${Math.floor((23 * 3600_000) / n)}))`,
      ),
    );
    await client.query('ANALYZE runs');
    await client.end();
    return;
  }
  const db = new BetterSqlite3(join(s.dataDir, 'runbox.db'));
  db.pragma('busy_timeout = 10000');
  const step = Math.floor((23 * 3600_000) / n);
  const sql = insert(
    `(WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${n}) SELECT i FROM g)`,
    'i',
    `(${now} - i * ${step})`,
  ).replace(
    `(ARRAY[${states}])[1 + (i % ${STATES.length})]`,
    `CASE i % ${STATES.length} ${STATES.map((x, k) => `WHEN ${k} THEN '${x}'`).join(' ')} END`,
  );
  db.exec(sql);
  db.exec('ANALYZE');
  db.close();
}

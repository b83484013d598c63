import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { conflict, RunboxError } from '../../contract/errors.js';
import { KyselyStore } from '../kysely-store.js';
import { checksum, planMigrations, type AppliedMigration } from '../migration.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { RetryableStoreError, TranslatingDialect } from '../translating-dialect.js';
import { claimJobs } from './claim-jobs.js';
import { POSTGRES_MIGRATIONS as MIGRATIONS } from '../migrations/index.js';
import { PostgresNotifications } from './notifications.js';
import { preparingPool } from './preparing-pool.js';
import { preparedName } from '../precompiled.js';
import { CHANGES_CHANNEL, PostgresCacheChanges } from '../cache-changes.js';

const INT8 = 20;
/** Times and ids are BIGINT; they fit a JS number, so read them as numbers, not strings. */
const builtinParser = pg.types.getTypeParser as (
  oid: number,
  format?: 'text' | 'binary',
) => (value: string) => unknown;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (v: string) => Number(v)
      : builtinParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Errors that mean the server is not there right now (down, restarting, unreachable). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

function isConnectionError(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  if (code && (CONNECTION_CODES.has(code) || code.startsWith('08') || code.startsWith('57P')))
    return true;
  return /Connection terminated|not queryable|timeout exceeded when trying to connect/i.test(
    message ?? '',
  );
}

function translate(err: unknown): unknown {
  if (err instanceof RunboxError) return err;
  if (isConnectionError(err)) {
    return new RunboxError('unavailable', 'The database cannot be reached; try again.', {
      cause: err,
    });
  }
  const code = (err as { code?: string }).code;
  if (code === '23505') return conflict('A record with that name or id already exists.');
  if (code === '40001' || code === '40P01') {
    return new RetryableStoreError('Postgres serialisation failure', { cause: err });
  }
  return err;
}

/** Advisory lock key for migrations: any constant; shared by every Runbox process. */
const MIGRATION_LOCK = 7_250_001;

export interface PostgresOptions {
  url: string;
  /** A schema to use instead of `public` (tests use one per file). Created by `migrate()` if missing. */
  schema?: string | undefined;
  poolSize?: number;
  now?: () => number;
  onNotificationError?: (err: unknown) => void;
}

export function openPostgresStore(opts: PostgresOptions): Store {
  const now = opts.now ?? Date.now;
  const schema = opts.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new Error(`Invalid schema name: ${schema}`);
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    types,
    // Part of the connection start-up, so no query can run on another schema. (A query from the
    // pool's 'connect' event raced: two clients creating the schema at once made one fail,
    // which left that client, and a migration run on it, on `public`.)
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // A pooled connection lost (the server restarted or went away): idle, the pool drops it;
  // checked out, its query fails (a connection error, translated below) and the pool drops it
  // when it is released. Without these listeners the 'error' event would end the process.
  pool.on('error', (err) => opts.onNotificationError?.(err));
  pool.on('connect', (client) => client.on('error', () => undefined));
  const dialect = new TranslatingDialect(
    new PostgresDialect({ pool: preparingPool(pool, preparedName) }),
    translate,
  );
  const db = new Kysely<Database>({ dialect });
  // Channels are database-wide: prefixed with the schema, installs sharing a database stay apart.
  const notifications = new PostgresNotifications(opts.url, pool, `${schema ?? 'public'}_`, (err) =>
    opts.onNotificationError?.(err),
  );

  const applied = async (client: pg.PoolClient): Promise<AppliedMigration[]> => {
    await client.query(`CREATE TABLE IF NOT EXISTS runbox_migrations (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const res = await client.query<AppliedMigration>(
      'SELECT id, name, checksum FROM runbox_migrations ORDER BY id',
    );
    return res.rows;
  };

  const changes = new PostgresCacheChanges(async (channel, onMessage, onConnection) => {
    await notifications.listen(channel, onMessage);
    notifications.watchConnection(onConnection);
  });
  const changesChannel = `${schema ?? 'public'}_${CHANGES_CHANNEL}`;
  return new KyselyStore(
    db,
    {
      claimJobs,
      supportsSkipLocked: true,
      supportsWritableCtes: true,
      // Sent in the change's transaction: other processes hear of it once it commits.
      async changed(tx, topic) {
        changes.changedHere(topic);
        await sql`SELECT pg_notify(${changesChannel}, ${topic})`.execute(tx);
      },
    },
    {
      capabilities: {
        backend: 'postgres',
        supportsSkipLocked: true,
        supportsNotify: true,
        idsVisibleInOrder: false,
      },
      migrations: MIGRATIONS,
      async migrate() {
        const client = await pool.connect();
        try {
          await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
          // Under the lock: CREATE SCHEMA IF NOT EXISTS fails when two sessions race to create it.
          if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
          const pending = planMigrations(MIGRATIONS, await applied(client));
          for (const m of pending) {
            await client.query('BEGIN');
            try {
              await client.query(m.sql);
              await client.query(
                'INSERT INTO runbox_migrations (id, name, checksum, applied_at) VALUES ($1, $2, $3, $4)',
                [m.id, m.name, checksum(m.sql), now()],
              );
              await client.query('COMMIT');
            } catch (err) {
              await client.query('ROLLBACK');
              throw err;
            }
          }
          return pending.map((m) => m.id);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
          client.release();
        }
      },
      // Read-only: a status check must not create tables (or race a migration doing so).
      queryStats: dialect.stats,
      async appliedMigrationIds() {
        const found = await pool.query<{ t: string | null }>(
          `SELECT to_regclass('runbox_migrations') AS t`,
        );
        if (!found.rows[0]?.t) return [];
        const res = await pool.query<{ id: number }>(
          'SELECT id FROM runbox_migrations ORDER BY id',
        );
        return res.rows.map((r) => r.id);
      },
      notifications,
      changes,
      async close() {
        await notifications.close();
        await db.destroy();
        // Kysely ends the pool only if it ran a query itself; `migrate` alone never does.
        if (!pool.ending) await pool.end();
      },
    },
  );
}

import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { conflict } from '../../contract/errors.js';
import { KyselyStore } from '../kysely-store.js';
import { checksum, planMigrations, type AppliedMigration } from '../migration.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { RetryableStoreError, TranslatingDialect } from '../translating-dialect.js';
import { claimJobs } from './claim-jobs.js';
import { RunboxSqliteDialect } from './sqlite-dialect.js';
import { withStatementCache } from './statement-cache.js';
import {
  BackgroundCheckpoints,
  type BackgroundCheckpointOptions,
} from './background-checkpoints.js';
import { SqliteCacheChanges } from '../cache-changes.js';
import { SQLITE_MIGRATIONS as MIGRATIONS } from '../migrations/index.js';

function translate(err: unknown): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return conflict('A record with that name or id already exists.');
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new RetryableStoreError('SQLite is busy', { cause: err });
  }
  return err;
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS runbox_migrations (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`;

/**
 * Opens (creating if needed) the embedded store. WAL lets readers run beside the writer;
 * `synchronous=NORMAL` in WAL mode can lose the last transactions on power loss (never on a
 * process crash) and never corrupts the database: the trade the embedded default makes.
 */
export function openSqliteStore(
  file: string,
  now: () => number = Date.now,
  options: { checkpoints?: BackgroundCheckpointOptions } = {},
): Store {
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Reads come from a memory map and a 64 MiB page cache instead of a read call per page.
  sqlite.pragma('mmap_size = 268435456');
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');

  const checkpoints = new BackgroundCheckpoints(sqlite, file, options.checkpoints);
  const dialect = new TranslatingDialect(
    new RunboxSqliteDialect({
      database: withStatementCache(sqlite),
      onCommit: () => checkpoints.committed(),
    }),
    translate,
  );
  const db = new Kysely<Database>({ dialect });

  const applied = (): AppliedMigration[] => {
    sqlite.exec(MIGRATIONS_TABLE);
    return sqlite
      .prepare('SELECT id, name, checksum FROM runbox_migrations ORDER BY id')
      .all() as AppliedMigration[];
  };

  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  const changes = new SqliteCacheChanges(() => dataVersion.get() as number);
  return new KyselyStore(
    db,
    {
      claimJobs,
      supportsSkipLocked: false,
      supportsWritableCtes: false,
      async changed(_db, topic) {
        changes.changedHere(topic);
      },
    },
    {
      capabilities: {
        backend: 'sqlite',
        supportsSkipLocked: false,
        supportsNotify: false,
        idsVisibleInOrder: true,
      },
      migrations: MIGRATIONS,
      // One immediate transaction is the lock: a second process waits, then finds nothing to do.
      async migrate() {
        const run = sqlite.transaction(() => {
          const pending = planMigrations(MIGRATIONS, applied());
          for (const m of pending) {
            sqlite.exec(m.sql);
            sqlite
              .prepare(
                'INSERT INTO runbox_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
              )
              .run(m.id, m.name, checksum(m.sql), now());
          }
          return pending.map((m) => m.id);
        });
        return run.immediate();
      },
      queryStats: dialect.stats,
      changes,
      async appliedMigrationIds() {
        return applied().map((r) => r.id);
      },
      async close() {
        await checkpoints.close();
        await db.destroy();
      },
    },
  );
}

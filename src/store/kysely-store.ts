import type { Kysely } from 'kysely';
import { RunboxError } from '../contract/errors.js';
import type { BackendOps } from './backend-ops.js';
import type { Migration } from './migration.js';
import type { StoreNotifications } from './notifications.js';
import type { CacheChanges } from './cache-changes.js';
import type { Database } from './schema.js';
import { Repositories, type MigrationStatus, type Store, type StoreCapabilities } from './store.js';
import { RetryableStoreError, type QueryStats } from './translating-dialect.js';

export interface BackendHooks {
  capabilities: StoreCapabilities;
  migrations: readonly Migration[];
  /** Applies pending migrations under the backend's lock; returns the ids applied. */
  migrate(): Promise<number[]>;
  appliedMigrationIds(): Promise<number[]>;
  queryStats: QueryStats;
  notifications?: StoreNotifications;
  changes: CacheChanges;
  close(): Promise<void>;
}

const MAX_TRANSACTION_ATTEMPTS = 5;

/** The store over Kysely, shared by both backends. */
export class KyselyStore extends Repositories implements Store {
  readonly capabilities: StoreCapabilities;
  readonly notifications: StoreNotifications | undefined;
  readonly changes: CacheChanges;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ops: BackendOps,
    private readonly hooks: BackendHooks,
  ) {
    super(db, ops);
    this.capabilities = hooks.capabilities;
    this.notifications = hooks.notifications;
    this.changes = hooks.changes;
  }

  async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute((trx) => fn(new Repositories(trx, this.ops)));
      } catch (err) {
        if (!(err instanceof RetryableStoreError)) throw err;
        if (attempt >= MAX_TRANSACTION_ATTEMPTS) {
          throw new RunboxError('unavailable', 'The database is busy; try again.', { cause: err });
        }
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
      }
    }
  }

  migrate(): Promise<number[]> {
    return this.hooks.migrate();
  }

  async migrationStatus(): Promise<MigrationStatus> {
    const applied = await this.hooks.appliedMigrationIds();
    const known = this.hooks.migrations.length;
    return {
      applied: applied.length,
      known,
      // Current means exactly what this code knows: nothing pending, nothing newer.
      current:
        this.hooks.migrations.every((m) => applied.includes(m.id)) &&
        applied.every((id) => this.hooks.migrations.some((m) => m.id === id)),
    };
  }

  queryCount(): number {
    return this.hooks.queryStats.queries;
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('orgs').select('id').limit(1).execute();
  }

  async close(): Promise<void> {
    await this.hooks.close();
  }
}

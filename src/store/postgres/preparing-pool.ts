import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { RetryableStoreError } from '../translating-dialect.js';

/**
 * Gives Kysely a pool whose clients run the queries of a known, bounded set of texts (those
 * `preparedName` names: the precompiled hot lookups) as named prepared statements. Postgres
 * then parses and plans each of them once per connection instead of on every request: the run
 * status, the token lookup and the batch read of every create.
 *
 * A rolling upgrade may add columns under a prepared `SELECT t.*`, and Postgres then refuses
 * the old statement ("cached plan must not change result type") until it is prepared again.
 * The client sends that text unprepared from then on: outside a transaction the query is
 * simply run again, inside one the error is retryable, so the store runs the transaction
 * again.
 */
export function preparingPool(
  pool: pg.Pool,
  preparedName: (sql: string) => string | undefined,
): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = new PreparingClient(client, preparedName) as unknown as PostgresPoolClient;
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

/** SQLSTATE feature_not_supported, which Postgres uses for a prepared plan gone stale. */
const STALE_PLAN = '0A000';

/** Kysely calls `query` with a text and its parameters (no cursors: the store streams none). */
class PreparingClient {
  /** Texts this connection's server refused as stale prepared statements: sent unprepared. */
  private readonly unprepared = new Set<string>();
  private inTransaction = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly preparedName: (sql: string) => string | undefined,
  ) {}

  async query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> {
    const values = parameters as unknown[];
    const name = this.unprepared.has(sql) ? undefined : this.preparedName(sql);
    this.track(sql);
    if (name === undefined) return this.run<R>({ text: sql, values });
    try {
      return await this.run<R>({ name, text: sql, values });
    } catch (err) {
      if ((err as { code?: string }).code !== STALE_PLAN) throw err;
      this.unprepared.add(sql);
      if (this.inTransaction) {
        throw new RetryableStoreError('A prepared statement went stale', { cause: err });
      }
      return this.run<R>({ text: sql, values });
    }
  }

  private async run<R>(config: pg.QueryConfig): Promise<PostgresQueryResult<R>> {
    return (await this.client.query(config)) as unknown as PostgresQueryResult<R>;
  }

  /** Follows the transaction statements Kysely sends (begin, commit, rollback). */
  private track(sql: string): void {
    const start = sql.slice(0, 12).toLowerCase();
    if (start.startsWith('begin') || start.startsWith('start')) this.inTransaction = true;
    else if (start.startsWith('commit')) this.inTransaction = false;
    else if (start.startsWith('rollback') && !start.startsWith('rollback to'))
      this.inTransaction = false;
  }

  release(): void {
    this.inTransaction = false;
    this.client.release();
  }
}

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
 * the old statement ("cached plan must not change result type"). The pool then gives that
 * text a new name, which every connection prepares afresh on its next use: outside a
 * transaction the query is simply run again, inside one the error is retryable, so the store
 * runs the transaction again.
 */
export function preparingPool(
  pool: pg.Pool,
  preparedName: (sql: string) => string | undefined,
): PostgresPool {
  const names = new StatementNames(preparedName);
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = new PreparingClient(client, names) as unknown as PostgresPoolClient;
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

/** The names of a pool's prepared texts, renamed when a schema change made them stale. */
class StatementNames {
  private readonly renamed = new Map<string, number>();

  constructor(private readonly preparedName: (sql: string) => string | undefined) {}

  of(sql: string): string | undefined {
    const name = this.preparedName(sql);
    const generation = name === undefined ? undefined : this.renamed.get(sql);
    return generation === undefined ? name : `${name}_${generation}`;
  }

  /** `name` went stale: the next use of `sql` prepares it again (once, however many saw it). */
  stale(sql: string, name: string): void {
    if (this.of(sql) === name) this.renamed.set(sql, (this.renamed.get(sql) ?? 0) + 1);
  }
}

function isStalePlan(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (
    code === '0A000' &&
    typeof message === 'string' &&
    message.includes('cached plan must not change result type')
  );
}

/** Kysely calls `query` with a text and its parameters (no cursors: the store streams none). */
class PreparingClient {
  private inTransaction = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly names: StatementNames,
  ) {}

  async query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> {
    const values = parameters as unknown[];
    const name = this.names.of(sql);
    this.track(sql);
    if (name === undefined) return this.run<R>({ text: sql, values });
    try {
      return await this.run<R>({ name, text: sql, values });
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      this.names.stale(sql, name);
      if (this.inTransaction) {
        throw new RetryableStoreError('A prepared statement went stale', { cause: err });
      }
      return this.run<R>({ name: this.names.of(sql)!, text: sql, values });
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

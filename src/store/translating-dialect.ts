/**
 * Wraps a Kysely dialect so every driver error passes through the backend's translator: the one
 * place where driver error codes become our errors (unique violation → conflict, busy or
 * serialisation failure → retryable).
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';

export type ErrorTranslator = (err: unknown) => unknown;

/** Counts statements sent to the database (exposed as a metric). */
export interface QueryStats {
  queries: number;
}

/** A failure worth retrying the whole transaction for (SQLite busy, Postgres serialisation). */
export class RetryableStoreError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'RetryableStoreError';
  }
}

class TranslatingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly translate: ErrorTranslator,
    private readonly stats: QueryStats,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.stats.queries++;
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (err) {
      throw this.translate(err);
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class TranslatingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly translate: ErrorTranslator,
    private readonly stats: QueryStats,
  ) {}

  private unwrap(c: DatabaseConnection): DatabaseConnection {
    return c instanceof TranslatingConnection ? c.inner : c;
  }

  init() {
    return this.inner.init();
  }
  async acquireConnection() {
    let inner: DatabaseConnection;
    try {
      inner = await this.inner.acquireConnection();
    } catch (err) {
      throw this.translate(err);
    }
    return new TranslatingConnection(inner, this.translate, this.stats);
  }
  async beginTransaction(c: DatabaseConnection, settings: TransactionSettings) {
    try {
      await this.inner.beginTransaction(this.unwrap(c), settings);
    } catch (err) {
      throw this.translate(err);
    }
  }
  async commitTransaction(c: DatabaseConnection) {
    try {
      await this.inner.commitTransaction(this.unwrap(c));
    } catch (err) {
      throw this.translate(err);
    }
  }
  rollbackTransaction(c: DatabaseConnection) {
    return this.inner.rollbackTransaction(this.unwrap(c));
  }
  releaseConnection(c: DatabaseConnection) {
    return this.inner.releaseConnection(this.unwrap(c));
  }
  destroy() {
    return this.inner.destroy();
  }
}

export class TranslatingDialect implements Dialect {
  readonly stats: QueryStats = { queries: 0 };

  constructor(
    private readonly inner: Dialect,
    private readonly translate: ErrorTranslator,
  ) {}

  createDriver(): Driver {
    return new TranslatingDriver(this.inner.createDriver(), this.translate, this.stats);
  }
  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}

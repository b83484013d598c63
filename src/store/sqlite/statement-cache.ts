import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * better-sqlite3 for Kysely, with a prepared-statement cache and rows made in JavaScript.
 *
 * Kysely prepares every query it runs, and preparing costs more than running most of ours, so
 * statements are kept (least recently used out). Statements are reused one at a time (Kysely
 * holds one connection behind a mutex), which is what better-sqlite3 requires.
 *
 * better-sqlite3 builds each row object key by key, which for our wide rows (a run has over
 * thirty columns) costs more than the read: a run by id took 9 µs, 3 of them the lookup. Reads
 * here fetch rows as arrays and turn them into objects with a function made once per
 * statement from its columns, an object literal of fixed shape: 6 µs for a run, and a page of
 * 50 runs in 140 µs instead of 320. (Where a result names a column twice the later one wins,
 * as better-sqlite3's own objects have it.)
 */
const MAX_CACHED_STATEMENTS = 2_000;

type RowMaker = (values: unknown[]) => unknown;

function rowMaker(columns: string[]): RowMaker {
  const fields = columns.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  // The column names are JSON-quoted: the source is an object literal whatever they are.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('v', `return { ${fields} };`) as RowMaker;
}

function reader(stmt: BetterSqlite3.Statement): SqliteStatement {
  const columns = () => stmt.columns().map((c) => c.name);
  const names = columns();
  // In a literal `__proto__: x` sets the prototype: such a result keeps better-sqlite3's rows.
  if (names.includes('__proto__')) return plain(stmt);
  stmt.raw(true);
  let width = names.length;
  let make = rowMaker(names);
  // SQLite prepares a statement again by itself when another connection changed the schema,
  // and `t.*` then stands for more columns (migrations only add them): the maker follows.
  const shaped = (values: unknown[]) => {
    if (values.length !== width) {
      width = values.length;
      make = rowMaker(columns());
    }
    return make(values);
  };
  return {
    reader: true,
    all: (parameters) => (stmt.all(parameters) as unknown[][]).map(shaped),
    run: (parameters) => stmt.run(parameters),
    *iterate(parameters) {
      for (const values of stmt.iterate(parameters) as IterableIterator<unknown[]>) {
        yield shaped(values);
      }
    },
  };
}

/** The statement as better-sqlite3 runs it (writes, and reads it makes the rows of). */
function plain(stmt: BetterSqlite3.Statement): SqliteStatement {
  return {
    reader: stmt.reader,
    all: (parameters) => stmt.all(parameters),
    run: (parameters) => stmt.run(parameters),
    iterate: (parameters) => stmt.iterate(parameters),
  };
}

export function withStatementCache(db: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        // Least recently used last out: the hot statements stay however many IN-list
        // lengths pass through.
        cache.delete(sql);
      } else {
        if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
        const prepared = db.prepare(sql);
        stmt = prepared.reader ? reader(prepared) : plain(prepared);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close() {
      db.close();
    },
  };
}

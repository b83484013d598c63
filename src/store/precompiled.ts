import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

const MARK = '\u0000runbox-param:';

/** Texts of the compiled queries, with a name each for backends that prepare statements. */
const NAMES = new Map<string, string>();

/**
 * The prepared-statement name of a precompiled query's text, or undefined for any other
 * text. The set is bounded by the queries in the code (and their few variants).
 */
export function preparedName(sql: string): string | undefined {
  return NAMES.get(sql);
}

/**
 * A query built and compiled once per dialect, then run with new parameter values. Kysely
 * builds and compiles every query it runs, which costs more than running our hot lookups;
 * these are used for the fixed-shape queries on the hottest paths (every request, every run).
 * Parameters are named in `build` with `p('name')`; a query with a variable shape (IN lists)
 * cannot be precompiled. On Postgres they also run as named prepared statements (see
 * postgres/preparing-pool.ts).
 */
export class Precompiled<A extends Record<string, unknown>, R> {
  private readonly byDialect = new Map<
    string,
    { compiled: CompiledQuery<R>; slots: (string | null)[] }
  >();

  constructor(
    private readonly build: (
      db: Kysely<Database>,
      p: (name: keyof A & string) => never,
    ) => Compilable<R>,
  ) {}

  private prepared(db: Kysely<Database>) {
    const dialect = db.getExecutor().adapter.constructor.name;
    let entry = this.byDialect.get(dialect);
    if (!entry) {
      const compiled = this.build(db, (name) => `${MARK}${name}` as never).compile();
      const slots = compiled.parameters.map((v) =>
        typeof v === 'string' && v.startsWith(MARK) ? v.slice(MARK.length) : null,
      );
      entry = { compiled, slots };
      this.byDialect.set(dialect, entry);
      if (!NAMES.has(compiled.sql)) NAMES.set(compiled.sql, `runbox_${NAMES.size + 1}`);
    }
    return entry;
  }

  private async run(db: Kysely<Database>, args: A) {
    const { compiled, slots } = this.prepared(db);
    const parameters = compiled.parameters.map((v, i) => {
      const name = slots[i];
      return name === null || name === undefined ? v : args[name];
    });
    return db.executeQuery<R>({ ...compiled, parameters });
  }

  async rows(db: Kysely<Database>, args: A): Promise<R[]> {
    return (await this.run(db, args)).rows;
  }

  async first(db: Kysely<Database>, args: A): Promise<R | undefined> {
    return (await this.run(db, args)).rows[0];
  }

  async affected(db: Kysely<Database>, args: A): Promise<number> {
    return Number((await this.run(db, args)).numAffectedRows ?? 0);
  }
}

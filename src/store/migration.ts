/**
 * Migrations are numbered and forward-only, with the same numbers on both backends. Each is
 * recorded with a checksum of its SQL; a database that has a migration this code does not know
 * is refused rather than run against.
 */
import { createHash } from 'node:crypto';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/**
 * The database's schema does not fit this build (older with migrations not to be applied here,
 * newer, or migrated by a different build): retrying cannot help, the process must not start.
 */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
}

export interface AppliedMigration {
  id: number;
  name: string;
  checksum: string;
}

/** What to apply, or why not. Pure so both backends share the rule. */
export function planMigrations(
  known: readonly Migration[],
  applied: readonly AppliedMigration[],
): Migration[] {
  const newest = known.at(-1)?.id ?? 0;
  for (const row of applied) {
    if (row.id > newest) {
      throw new SchemaMismatchError(
        `The database has migration ${row.id} (${row.name}) but this Runbox knows migrations up to ${newest}: upgrade Runbox before using this database.`,
      );
    }
    const mine = known.find((m) => m.id === row.id);
    if (mine && checksum(mine.sql) !== row.checksum) {
      throw new SchemaMismatchError(
        `Migration ${row.id} (${row.name}) in the database differs from this Runbox's copy: the database was migrated by a different build.`,
      );
    }
  }
  const done = new Set(applied.map((r) => r.id));
  return known.filter((m) => !done.has(m.id));
}

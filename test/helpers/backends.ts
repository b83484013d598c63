/**
 * The same suites run on every backend. SQLite always; Postgres when RUNBOX_TEST_DATABASE_URL
 * is set. With RUNBOX_TEST_REQUIRE_POSTGRES=1 (CI) a missing Postgres is a failure, elsewhere
 * a loud skip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';

export type Backend = 'sqlite' | 'postgres';

export const POSTGRES_URL = process.env.RUNBOX_TEST_DATABASE_URL;
const REQUIRE_POSTGRES = /^(1|true)$/i.test(process.env.RUNBOX_TEST_REQUIRE_POSTGRES ?? '');

export interface BackendTarget {
  backend: Backend;
  /** A fresh data directory (kept when the test fails). */
  dataDir: string;
  /** For Postgres: the URL and a fresh schema; undefined for SQLite. */
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
}

let counter = 0;

/** A fresh, empty place to put a store: a temp dir (and a new Postgres schema). */
export function freshTarget(backend: Backend): BackendTarget {
  const dataDir = mkdtempSync(join(tmpdir(), `runbox-${backend}-`));
  let schema: string | undefined;
  if (backend === 'postgres') {
    schema = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  }
  // Registered from inside the running test, so it runs when that test ends.
  onTestFinished(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      console.error(
        `kept for inspection: ${dataDir}${schema ? ` (Postgres schema ${schema})` : ''}`,
      );
      return;
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
  });
  return {
    backend,
    dataDir,
    databaseUrl: backend === 'postgres' ? POSTGRES_URL : undefined,
    databaseSchema: schema,
  };
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A Postgres-only suite, under the same rules: required in CI, a loud skip elsewhere. */
export function describePostgres(name: string, body: () => void): void {
  if (POSTGRES_URL) {
    describe(`${name} [postgres]`, body);
  } else if (REQUIRE_POSTGRES) {
    describe(`${name} [postgres]`, () => {
      it('needs Postgres', () => {
        expect.fail('RUNBOX_TEST_REQUIRE_POSTGRES is set but RUNBOX_TEST_DATABASE_URL is not');
      });
    });
  } else {
    describe.skip(`${name} [postgres] SKIPPED: set RUNBOX_TEST_DATABASE_URL to run`, () => {
      it('skipped', () => undefined);
    });
    console.warn(
      `\n*** Postgres suite "${name}" SKIPPED: RUNBOX_TEST_DATABASE_URL is not set ***\n`,
    );
  }
}

/** `describe` once per backend; the body receives the backend name. */
export function describeEachBackend(name: string, body: (backend: Backend) => void): void {
  describe(`${name} [sqlite]`, () => body('sqlite'));
  describePostgres(name, () => body('postgres'));
}

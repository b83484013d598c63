/**
 * Shared setup for the store contract suites: stores on fresh targets (closed when the test
 * finishes), raw SQL for states the store cannot produce itself, and a few seed rows.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { expect, onTestFinished } from 'vitest';
import { RunboxError, type ErrorType } from '../../src/contract/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { NewJob } from '../../src/store/schema.js';
import type { Repositories, Store } from '../../src/store/store.js';
import { freshTarget, type Backend, type BackendTarget } from '../helpers/backends.js';

/** A time past 2^31 ms, so a column that truncated or stringified BIGINTs would show it. */
export const T = 1_700_000_000_000;

/**
 * `freshTarget`, removed again when the test passes. (test/helpers/backends.ts registers its
 * own removal with `afterEach` from inside the test, which Vitest never runs, so without this
 * every test would leave a temp dir and a Postgres schema behind.) Stores opened later close
 * first: `onTestFinished` callbacks run in reverse order.
 */
export function newTarget(backend: Backend): BackendTarget {
  const target = freshTarget(backend);
  onTestFinished(async (ctx) => {
    if (ctx.task.result?.state === 'fail') return;
    rmSync(target.dataDir, { recursive: true, force: true });
    if (target.databaseUrl !== undefined && target.databaseSchema !== undefined) {
      const client = new pg.Client({ connectionString: target.databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${target.databaseSchema} CASCADE`);
      } finally {
        await client.end();
      }
    }
  });
  return target;
}

/** Opens another store on `target`; closed when the current test finishes. */
export function openOn(target: BackendTarget): Store {
  const store = openStore({
    databaseUrl: target.databaseUrl,
    dataDir: target.dataDir,
    schema: target.databaseSchema,
  });
  onTestFinished(() => store.close());
  return store;
}

/** A migrated store on a fresh, empty database. */
export async function freshStore(
  backend: Backend,
): Promise<{ store: Store; target: BackendTarget }> {
  const target = newTarget(backend);
  const store = openOn(target);
  await store.migrate();
  return { store, target };
}

/** Runs one SQL statement straight on the target's database, bypassing the store. */
export async function rawQuery(
  target: BackendTarget,
  sql: string,
): Promise<Record<string, unknown>[]> {
  if (target.databaseUrl === undefined) {
    const db = new BetterSqlite3(join(target.dataDir, 'runbox.db'));
    try {
      const stmt = db.prepare(sql);
      if (stmt.reader) return stmt.all() as Record<string, unknown>[];
      stmt.run();
      return [];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${target.databaseSchema ?? 'public'}`);
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Awaits `p` and asserts it failed with a RunboxError of `type`. */
export async function expectRunboxError(p: Promise<unknown>, type: ErrorType): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a ${type} error`).toBeInstanceOf(RunboxError);
  expect((err as RunboxError).type).toBe(type);
}

/** Org `acme` with admin `alice`, member `bob`, and a shared workspace `ws-shared`. */
export async function seedAcme(store: Repositories): Promise<void> {
  await store.orgs.create({ id: 'acme', name: 'Acme', created_at: T });
  await store.users.create({
    id: 'alice',
    org_id: 'acme',
    kind: 'user',
    display_name: 'Alice',
    created_at: T,
  });
  await store.users.create({
    id: 'bob',
    org_id: 'acme',
    kind: 'user',
    display_name: null,
    created_at: T,
  });
  await store.users.addMembership({
    org_id: 'acme',
    user_id: 'alice',
    role: 'admin',
    created_at: T,
  });
  await store.users.addMembership({
    org_id: 'acme',
    user_id: 'bob',
    role: 'member',
    created_at: T,
  });
  await store.workspaces.create({
    id: 'ws-shared',
    org_id: 'acme',
    name: 'shared',
    owner_user_id: null,
    created_at: T,
  });
}

/** A due, never-tried job; override what the test is about. */
export function newJob(id: string, over: Partial<NewJob> = {}): NewJob {
  return {
    id,
    org_id: 'acme',
    kind: 'delete-batch',
    payload: JSON.stringify({ batchId: 1, prefix: 'batches/1' }),
    state: 'PENDING',
    message: 'Queued.',
    attempts: 0,
    max_attempts: 5,
    run_at: T,
    lease_owner: null,
    lease_expires_at: null,
    created_at: T,
    updated_at: T,
    finished_at: null,
    ...over,
  };
}

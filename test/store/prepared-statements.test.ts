/**
 * On Postgres the precompiled hot lookups run as named prepared statements, and a rolling
 * upgrade that adds a column under a prepared `SELECT *` does not break the older node.
 */
import pg from 'pg';
import { expect, it, onTestFinished } from 'vitest';
import { preparingPool } from '../../src/store/postgres/preparing-pool.js';
import { RetryableStoreError } from '../../src/store/translating-dialect.js';
import { describePostgres, POSTGRES_URL } from '../helpers/backends.js';
import { freshStore, rawQuery, seedAcme, T } from './store-fixture.js';

/** A one-connection pool on a fresh schema with a table `t`, and a prepared name for one text. */
async function onePool(prepared: string) {
  const schema = `prep_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int, a text);
    INSERT INTO ${schema}.t VALUES (1, 'one')`);
  const raw = new pg.Pool({
    connectionString: POSTGRES_URL,
    max: 1,
    options: `-c search_path=${schema}`,
  });
  onTestFinished(async () => {
    await raw.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
  const pool = preparingPool(raw, (sql) => (sql === prepared ? 'runbox_test_1' : undefined));
  return { pool, admin, schema };
}

describePostgres('prepared statements', () => {
  it('prepares the named texts once per connection, and no other text', async () => {
    const { pool } = await onePool('SELECT a FROM t WHERE id = $1');
    const client = await pool.connect();
    try {
      for (let i = 0; i < 3; i++) {
        const res = await client.query<{ a: string }>('SELECT a FROM t WHERE id = $1', [1]);
        expect(res.rows).toEqual([{ a: 'one' }]);
      }
      await client.query('SELECT id FROM t WHERE a = $1', ['one']);
      const statements = await client.query<{ name: string; statement: string }>(
        'SELECT name, statement FROM pg_prepared_statements',
        [],
      );
      expect(statements.rows).toEqual([
        { name: 'runbox_test_1', statement: 'SELECT a FROM t WHERE id = $1' },
      ]);
    } finally {
      client.release();
    }
  });

  it('runs a statement made stale by a new column again, unprepared', async () => {
    const { pool, admin, schema } = await onePool('SELECT * FROM t WHERE id = $1');
    const client = await pool.connect();
    try {
      await client.query('SELECT * FROM t WHERE id = $1', [1]);
      await admin.query(`ALTER TABLE ${schema}.t ADD COLUMN b text`);
      const res = await client.query('SELECT * FROM t WHERE id = $1', [1]);
      expect(res.rows).toEqual([{ id: 1, a: 'one', b: null }]);
    } finally {
      client.release();
    }
  });

  it('inside a transaction, a stale statement fails as retryable; the retry runs it unprepared', async () => {
    const { pool, admin, schema } = await onePool('SELECT * FROM t WHERE id = $1');
    const client = await pool.connect();
    try {
      await client.query('SELECT * FROM t WHERE id = $1', [1]);
      await admin.query(`ALTER TABLE ${schema}.t ADD COLUMN b text`);
      await client.query('begin', []);
      const err = await client.query('SELECT * FROM t WHERE id = $1', [1]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RetryableStoreError);
      await client.query('rollback', []);
      await client.query('begin', []);
      const res = await client.query('SELECT * FROM t WHERE id = $1', [1]);
      await client.query('commit', []);
      expect(res.rows).toEqual([{ id: 1, a: 'one', b: null }]);
    } finally {
      client.release();
    }
  });

  it('keeps answering the store’s lookups across a column added by a newer node', async () => {
    const { store, target } = await freshStore('postgres');
    await seedAcme(store);
    const id = await store.batches.create({
      org_id: 'acme',
      workspace_id: 'ws-shared',
      name: 'b',
      created_by: 'alice',
      created_at: T,
    });
    // Every connection of the pool prepares the lookup, then the table changes under them.
    await Promise.all(Array.from({ length: 20 }, () => store.batches.get('acme', id)));
    await rawQuery(target, 'ALTER TABLE batches ADD COLUMN added_later TEXT');
    const outside = await Promise.all(
      Array.from({ length: 20 }, () => store.batches.get('acme', id)),
    );
    const inside = await Promise.all(
      Array.from({ length: 20 }, () => store.transaction((tx) => tx.batches.get('acme', id))),
    );
    for (const b of [...outside, ...inside]) {
      expect(b).toMatchObject({ id, name: 'b', added_later: null });
    }
  });
});

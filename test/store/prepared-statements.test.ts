/**
 * On Postgres the precompiled hot lookups run as named prepared statements, and on both
 * backends a rolling upgrade that adds a column under a kept `SELECT t.*` does not break the
 * older node.
 */
import pg from 'pg';
import { expect, it, onTestFinished } from 'vitest';
import { preparingPool } from '../../src/store/postgres/preparing-pool.js';
import { RetryableStoreError } from '../../src/store/translating-dialect.js';
import { describeEachBackend, describePostgres, POSTGRES_URL } from '../helpers/backends.js';
import { freshStore, rawQuery, seedAcme, T } from './store-fixture.js';

/** A pool (one connection unless told) on a fresh schema with a table `t`; one text is named. */
async function onePool(prepared: string, connections = 1) {
  const schema = `prep_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int, a text);
    INSERT INTO ${schema}.t VALUES (1, 'one')`);
  const raw = new pg.Pool({
    connectionString: POSTGRES_URL,
    max: connections,
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

  it('prepares a statement made stale by a new column again, under a new name', async () => {
    const { pool, admin, schema } = await onePool('SELECT * FROM t WHERE id = $1');
    const client = await pool.connect();
    try {
      await client.query('SELECT * FROM t WHERE id = $1', [1]);
      await admin.query(`ALTER TABLE ${schema}.t ADD COLUMN b text`);
      const res = await client.query('SELECT * FROM t WHERE id = $1', [1]);
      expect(res.rows).toEqual([{ id: 1, a: 'one', b: null }]);
      const names = await client.query<{ name: string }>(
        'SELECT name FROM pg_prepared_statements ORDER BY name',
        [],
      );
      expect(names.rows.map((r) => r.name)).toEqual(['runbox_test_1', 'runbox_test_1_1']);
    } finally {
      client.release();
    }
  });

  it('inside a transaction a stale statement is retryable, and every connection prepares it afresh', async () => {
    const text = 'SELECT * FROM t WHERE id = $1';
    const { pool, admin, schema } = await onePool(text, 2);
    const [one, two] = [await pool.connect(), await pool.connect()];
    /** The text run in a transaction of its own on `c`. */
    const inTransaction = async (c: typeof one) => {
      await c.query('begin', []);
      try {
        return await c.query(text, [1]);
      } finally {
        await c.query('rollback', []);
      }
    };
    try {
      for (const c of [one, two]) await c.query(text, [1]);
      await admin.query(`ALTER TABLE ${schema}.t ADD COLUMN b text`);
      await expect(inTransaction(one)).rejects.toBeInstanceOf(RetryableStoreError);
      // The other connection's transaction does not fail of it (so no connection costs a
      // transaction one of its few attempts), and the retry on the first one succeeds.
      for (const c of [two, one]) {
        expect((await inTransaction(c)).rows).toEqual([{ id: 1, a: 'one', b: null }]);
      }
    } finally {
      one.release();
      two.release();
    }
  });

  it('passes on any other error as it is, in a transaction too', async () => {
    // Postgres's feature_not_supported, as a stale plan is, but for good: not retryable.
    const text = 'SELECT count(*) FROM t WHERE id = $1 FOR UPDATE';
    const { pool } = await onePool(text);
    const client = await pool.connect();
    try {
      await client.query('begin', []);
      const err: unknown = await client.query(text, [1]).catch((e: unknown) => e);
      await client.query('rollback', []);
      expect(err).not.toBeInstanceOf(RetryableStoreError);
      expect(err).toMatchObject({ code: '0A000' });
      expect((err as Error).message).toContain('FOR UPDATE');
    } finally {
      client.release();
    }
  });
});

describeEachBackend('kept lookups across a rolling upgrade', (backend) => {
  it('answers a batch with its files after a newer node added a column to batches', async () => {
    const { store, target } = await freshStore(backend);
    await seedAcme(store);
    const id = await store.batches.create({
      org_id: 'acme',
      workspace_id: 'ws-shared',
      name: 'b',
      created_by: 'alice',
      created_at: T,
    });
    await store.batches.putFile({
      batch_id: id,
      name: 'a.txt',
      blob_key: 'key-a',
      size: 3,
      updated_at: T,
    });
    const read = () => store.batches.withFiles('acme', id, 10);
    // Every connection keeps the lookup, then the table changes under them.
    const before = await read();
    await Promise.all(Array.from({ length: 20 }, read));
    await rawQuery(target, 'ALTER TABLE batches ADD COLUMN added_later TEXT');
    const outside = await Promise.all(Array.from({ length: 20 }, read));
    const inside = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.transaction((tx) => tx.batches.withFiles('acme', id, 10)),
      ),
    );
    expect(before).toMatchObject({
      batch: { id, name: 'b' },
      ws: { name: 'shared' },
      files: [{ name: 'a.txt', blob_key: 'key-a', size: 3 }],
    });
    for (const found of [...outside, ...inside]) expect(found).toEqual(before);
  });
});

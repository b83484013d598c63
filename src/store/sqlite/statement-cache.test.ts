import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RunboxSqliteDialect } from './sqlite-dialect.js';
import { withStatementCache } from './statement-cache.js';

interface Db {
  t: { id: number; name: string | null; data: Buffer | null; big: number };
}

let sqlite: BetterSqlite3.Database;
let db: Kysely<Db>;

beforeEach(() => {
  sqlite = new BetterSqlite3(':memory:');
  sqlite.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, big INTEGER);
    INSERT INTO t VALUES (1, 'one', x'0102', 9007199254740991), (2, NULL, NULL, -5),
      (3, 'it''s "quoted"', NULL, 0)`);
  db = new Kysely<Db>({
    dialect: new RunboxSqliteDialect({ database: withStatementCache(sqlite) }),
  });
});

afterEach(async () => {
  await db.destroy();
});

it('reads rows as the objects better-sqlite3 itself makes', async () => {
  const direct = sqlite.prepare('SELECT * FROM t ORDER BY id').all();
  const rows = await db.selectFrom('t').selectAll().orderBy('id').execute();
  expect(rows).toEqual(direct);
  expect(rows[0]).toEqual({ id: 1, name: 'one', data: Buffer.from([1, 2]), big: 2 ** 53 - 1 });
  expect(Object.keys(rows[1]!)).toEqual(['id', 'name', 'data', 'big']);
});

it('names columns whatever they are called, and a column named twice takes the later value', async () => {
  const res = await sql<Record<string, unknown>>`
    SELECT id AS "a""b", name AS "x-y z", id AS dup, big AS dup FROM t WHERE id = ${1}`.execute(db);
  expect(res.rows).toEqual([{ 'a"b': 1, 'x-y z': 'one', dup: 2 ** 53 - 1 }]);
});

it('returns the rows of a write with RETURNING, and counts the rows a write changed', async () => {
  const returned = await db
    .updateTable('t')
    .set({ big: 7 })
    .where('id', '>', 1)
    .returning(['id', 'big'])
    .execute();
  expect(returned).toEqual([
    { id: 2, big: 7 },
    { id: 3, big: 7 },
  ]);
  const res = await db.deleteFrom('t').where('id', '=', 3).executeTakeFirst();
  expect(res.numDeletedRows).toBe(1n);
  expect(sqlite.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
});

it('streams rows as objects', async () => {
  const seen: unknown[] = [];
  for await (const row of db.selectFrom('t').select(['id', 'name']).orderBy('id').stream()) {
    seen.push(row);
  }
  expect(seen).toEqual([
    { id: 1, name: 'one' },
    { id: 2, name: null },
    { id: 3, name: 'it\'s "quoted"' },
  ]);
});

it('prepares a text once and runs it again with new values', async () => {
  const cache = withStatementCache(sqlite);
  const text = 'SELECT name FROM t WHERE id = ?';
  const first = cache.prepare(text);
  expect(cache.prepare(text)).toBe(first);
  expect(first.all([1])).toEqual([{ name: 'one' }]);
  expect(first.all([2])).toEqual([{ name: null }]);
});

it('follows a column another connection added under a cached `t.*`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-stmt-cache-'));
  try {
    const file = join(dir, 'db.sqlite');
    const here = new BetterSqlite3(file);
    here.exec(
      `CREATE TABLE b (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO b VALUES (1, 'one')`,
    );
    const cache = withStatementCache(here);
    const text = `SELECT b.*, 'after' AS tail FROM b WHERE id = ?`;
    expect(cache.prepare(text).all([1])).toEqual([{ id: 1, name: 'one', tail: 'after' }]);
    const elsewhere = new BetterSqlite3(file);
    elsewhere.exec('ALTER TABLE b ADD COLUMN added TEXT');
    elsewhere.close();
    expect(cache.prepare(text).all([1])).toEqual([
      { id: 1, name: 'one', added: null, tail: 'after' },
    ]);
    here.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('leaves rows with a column named __proto__ to better-sqlite3', () => {
  const text = `SELECT 1 AS "__proto__", 2 AS two`;
  const direct = sqlite.prepare(text).all();
  expect(withStatementCache(sqlite).prepare(text).all([])).toEqual(direct);
});

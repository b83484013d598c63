import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RunboxSqliteDialect } from './sqlite-dialect.js';

interface Db {
  n: { v: number };
}

let sqlite: BetterSqlite3.Database;
let db: Kysely<Db>;

beforeEach(() => {
  sqlite = new BetterSqlite3(':memory:');
  sqlite.exec('CREATE TABLE n (v INTEGER NOT NULL)');
  const insert = sqlite.prepare('INSERT INTO n (v) VALUES (?)');
  for (let v = 1; v <= 20; v++) insert.run(v);
  db = new Kysely<Db>({ dialect: new RunboxSqliteDialect({ database: sqlite }) });
});

afterEach(async () => {
  await db.destroy();
});

it('writes whole-number limits and offsets into the SQL and pages by them', async () => {
  const query = db.selectFrom('n').select('v').orderBy('v').limit(3).offset(5);
  const compiled = query.compile();
  expect(compiled.sql).toBe('select "v" from "n" order by "v" limit 3 offset 5');
  expect(compiled.parameters).toEqual([]);
  expect((await query.execute()).map((r) => r.v)).toEqual([6, 7, 8]);
});

it('keeps any other limit a bound parameter', async () => {
  const query = db
    .selectFrom('n')
    .select('v')
    .orderBy('v')
    .limit(sql<number>`${4}`)
    .offset(2.5);
  const compiled = query.compile();
  expect(compiled.sql).toBe('select "v" from "n" order by "v" limit ? offset ?');
  expect(compiled.parameters).toEqual([4, 2.5]);
});

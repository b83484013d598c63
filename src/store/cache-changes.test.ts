import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { SqliteCacheChanges } from './cache-changes.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

it('SQLite: another connection’s commit moves the epoch from the next turn of the loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-cache-changes-'));
  const here = new BetterSqlite3(join(dir, 'db.sqlite'));
  const elsewhere = new BetterSqlite3(join(dir, 'db.sqlite'));
  onTestFinished(() => {
    here.close();
    elsewhere.close();
    rmSync(dir, { recursive: true, force: true });
  });
  here.exec('CREATE TABLE t (v INTEGER)');
  const version = here.prepare('PRAGMA data_version').pluck();
  const changes = new SqliteCacheChanges(() => version.get() as number);

  const before = changes.epoch('auth');
  elsewhere.exec('INSERT INTO t VALUES (1)');
  // Within the turn one reading serves every caller...
  expect(changes.epoch('auth')).toBe(before);
  await nextTurn();
  // ...and the next turn reads again.
  const after = changes.epoch('auth');
  expect(after).not.toBe(before);

  // This process's own changes count at once.
  changes.changedHere('auth');
  expect(changes.epoch('auth')).not.toBe(after);
  expect(changes.epoch('apps')).toBe(after);
});

import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackgroundCheckpoints } from '../../src/store/sqlite/background-checkpoints.js';
import { openSqliteStore } from '../../src/store/sqlite/open-store.js';
import type { Store } from '../../src/store/store.js';
import { seedAcme, T } from './store-fixture.js';

let dir: string;
let store: Store | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A migrated embedded store whose checkpoint thread starts after `startAfterCommits` commits. */
async function open(startAfterCommits: number) {
  dir = mkdtempSync(join(tmpdir(), 'runbox-checkpoints-'));
  const file = join(dir, 'runbox.db');
  store = openSqliteStore(file, Date.now, { checkpoints: { startAfterCommits, intervalMs: 10 } });
  await store.migrate();
  await store.transaction((tx) => seedAcme(tx));
  return file;
}

async function writeBatches(s: Store, count: number) {
  for (let i = 0; i < count; i++) {
    await s.transaction((tx) =>
      tx.batches.create({
        org_id: 'acme',
        workspace_id: 'ws-shared',
        name: `b${i}`,
        created_by: 'alice',
        created_at: T,
      }),
    );
  }
}

/**
 * The batches in the database file alone, without its log: what checkpoints have copied there.
 * (A copy, so that no connection of the test checkpoints the log itself.)
 */
function batchesInDatabaseFile(file: string): number {
  const copy = join(dir, 'copy.db');
  copyFileSync(file, copy);
  const db = new BetterSqlite3(copy, { readonly: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'batches'").get();
    return table ? (db.prepare('SELECT count(*) AS n FROM batches').pluck().get() as number) : 0;
  } finally {
    db.close();
  }
}

it('a thread takes over checkpoints once the process has written enough', async () => {
  const file = await open(5);
  await writeBatches(store!, 10);
  // Ten small commits are far below the thousand log pages at which SQLite checkpoints by
  // itself: only the thread copies them into the database file.
  await vi.waitFor(() => expect(batchesInDatabaseFile(file)).toBe(10), { timeout: 5000 });
  await writeBatches(store!, 5);
  await vi.waitFor(() => expect(batchesInDatabaseFile(file)).toBe(15), { timeout: 5000 });
});

it('a process that writes little starts no thread: its commits stay in the log', async () => {
  const file = await open(1_000);
  await writeBatches(store!, 20);
  await new Promise((r) => setTimeout(r, 100));
  expect(batchesInDatabaseFile(file)).toBe(0);
});

it('closing the store stops the thread and keeps every write', async () => {
  const file = await open(3);
  await writeBatches(store!, 10);
  await vi.waitFor(() => expect(batchesInDatabaseFile(file)).toBeGreaterThan(0));
  await writeBatches(store!, 10);
  await store!.close();
  store = undefined;

  // The thread's connection closed first: the store's, closing last, copied the whole log into
  // the database file and removed it.
  expect(existsSync(`${file}-wal`)).toBe(false);
  expect(batchesInDatabaseFile(file)).toBe(20);
  const db = new BetterSqlite3(file);
  try {
    expect(db.prepare('SELECT count(*) AS n FROM batches').get()).toEqual({ n: 20 });
  } finally {
    db.close();
  }
});

describe('BackgroundCheckpoints', () => {
  let db: BetterSqlite3.Database;
  afterEach(() => db?.close());

  function wal() {
    dir = mkdtempSync(join(tmpdir(), 'runbox-checkpoints-'));
    const file = join(dir, 'x.db');
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    return file;
  }
  const autoPages = () => db.pragma('wal_autocheckpoint', { simple: true });

  it("turns the connection's own checkpoints down to a backstop while its thread runs, and back after", async () => {
    const file = wal();
    const bg = new BackgroundCheckpoints(db, file, { startAfterCommits: 2, intervalMs: 10 });
    bg.committed();
    expect(autoPages()).toBe(1000);
    bg.committed();
    await vi.waitFor(() => expect(autoPages()).toBe(10_000));
    expect(bg.running).toBe(true);
    db.prepare('INSERT INTO t VALUES (1)').run();
    await vi.waitFor(() => expect(bg.checkpoints).toBeGreaterThan(0));
    await bg.close();
    expect(autoPages()).toBe(1000);
  });

  it('keeps the log bounded under writes that never pause', async () => {
    const file = wal();
    const bg = new BackgroundCheckpoints(db, file, { startAfterCommits: 1, intervalMs: 20 });
    bg.committed();
    await vi.waitFor(() => expect(bg.running).toBe(true));
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const row = Buffer.alloc(1000, 1);
    // Sixty thousand commits of a page or two each (about 90,000 log pages if nothing started
    // the log over), with the thread checkpointing meanwhile: every checkpoint of the thread
    // ends with newer pages in the log, so only the backstop starts it over.
    for (let i = 0; i < 60_000; i++) {
      insert.run(row);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(bg.checkpoints).toBeGreaterThan(0);
    // The backstop at ten thousand pages (4 KiB and a 24-byte header each), and the commits made
    // while the thread held the checkpoint lock (the backstop's checkpoint then waits for the
    // next commit): a few thousand pages on a busy machine.
    expect(statSync(`${file}-wal`).size).toBeLessThan(20_000 * 4120);
    await bg.close();
  });

  it('a thread that fails after starting hands checkpoints back', async () => {
    const file = wal();
    // A thread that starts, then fails once the test has seen it running.
    const script = join(dir, 'failing-thread.mjs');
    writeFileSync(
      script,
      `import { existsSync } from 'node:fs';
       import { parentPort, workerData } from 'node:worker_threads';
       parentPort.postMessage({ type: 'ready' });
       setInterval(() => {
         if (existsSync(workerData.file + '.fail')) throw new Error('the disk went away');
       }, 5);`,
    );
    const bg = new BackgroundCheckpoints(db, file, { startAfterCommits: 1, script });
    bg.committed();
    await vi.waitFor(() => expect(bg.running).toBe(true));
    writeFileSync(`${file}.fail`, '');
    await vi.waitFor(() => expect(autoPages()).toBe(1000));
    expect(bg.running).toBe(false);
    await bg.close();
  });

  it('a thread that cannot open the database never takes checkpoints over', async () => {
    wal();
    const bg = new BackgroundCheckpoints(db, join(dir, 'gone', 'x.db'), { startAfterCommits: 1 });
    bg.committed();
    // close() waits for the thread to have ended: it failed without ever reporting ready.
    await bg.close();
    expect(autoPages()).toBe(1000);
    expect(bg.checkpoints).toBe(0);
  });
});

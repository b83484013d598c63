// Runs in a worker thread of a process using the embedded SQLite store: copies committed pages
// from the write-ahead log into the database file (a checkpoint) off the main thread, so the
// thread that serves requests and writes runs never waits for that copy or its fsync. Plain
// JavaScript so it needs no build step.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData;
const db = new Database(file, { fileMustExist: true });
// A checkpoint that finds the checkpoint lock taken (another process's) waits for nothing.
db.pragma('busy_timeout = 0');
const dataVersion = db.prepare('PRAGMA data_version').pluck();
// PASSIVE: copies what it can without waiting for readers or writers, and never blocks them.
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

// Nothing seen yet: the first tick copies whatever was committed before the thread started.
let seen;
// Any error (a disk error) ends the thread, and the main connection checkpoints again.
const timer = setInterval(() => {
  // data_version changes when another connection commits: an idle database costs one pragma.
  const now = dataVersion.get();
  if (now === seen) return;
  const [row] = checkpoint.all();
  // Busy (another process's checkpoint holds the lock: the pragma says so in `busy`, it does not
  // throw) or held back by a reader: the next tick tries again even if nothing more is committed.
  if (row.busy === 0 && row.checkpointed === row.log) seen = now;
  parentPort.postMessage({ type: 'checkpointed' });
}, intervalMs);

parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});

parentPort.postMessage({ type: 'ready' });

import type BetterSqlite3 from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { projectPath } from '../../project-root.js';

const THREAD = projectPath('runtime', 'sqlite-checkpointer.mjs');

/** SQLite's own default: the committing connection checkpoints once the log holds this many pages. */
const AUTO_CHECKPOINT_PAGES = 1000;

export interface BackgroundCheckpointOptions {
  /** Commits this process makes before the thread starts: a process that writes little never needs one. */
  startAfterCommits?: number;
  /** How often the thread looks for new commits to copy into the database file. */
  intervalMs?: number;
}

/**
 * Checkpoints of the embedded database in a worker thread. By default SQLite checkpoints inside
 * the commit that fills the log past a thousand pages: that commit copies the pages into the
 * database file and fsyncs it, on the thread that serves requests. Under load that was half of
 * every commit's cost (about 550 µs a commit, 250 without). Once this process has committed
 * `startAfterCommits` times, a thread with its own connection takes over (PASSIVE checkpoints,
 * which never block readers or writers) and the main connection stops checkpointing; should
 * the thread stop, the main connection checkpoints again as before. Nothing depends on the
 * thread for correctness: the log is part of the database either way.
 */
export class BackgroundCheckpoints {
  private commits = 0;
  private thread: Worker | undefined;
  private closed = false;
  private readonly startAfter: number;
  private readonly intervalMs: number;
  /** Checkpoints the thread made (for tests and metrics). */
  checkpoints = 0;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly file: string,
    o: BackgroundCheckpointOptions = {},
  ) {
    this.startAfter = o.startAfterCommits ?? 200;
    this.intervalMs = o.intervalMs ?? 200;
  }

  /** Called after each commit of this process. */
  committed(): void {
    if (++this.commits === this.startAfter && !this.closed) this.start();
  }

  /** Whether the thread is checkpointing (and the main connection is not). */
  get running(): boolean {
    return this.db.pragma('wal_autocheckpoint', { simple: true }) === 0;
  }

  private start(): void {
    const thread = new Worker(THREAD, {
      workerData: { file: this.file, intervalMs: this.intervalMs },
    });
    this.thread = thread;
    // The thread never keeps the process alive; the main connection's close checkpoints last.
    thread.unref();
    thread.on('message', (m: { type: string }) => {
      if (m.type === 'ready' && !this.closed) this.db.pragma('wal_autocheckpoint = 0');
      else if (m.type === 'checkpointed') this.checkpoints++;
    });
    const stopped = () => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    };
    // A thread that fails (it cannot open the file, a disk error) hands checkpoints back.
    thread.on('error', stopped);
    thread.on('exit', stopped);
  }

  /** Stops the thread, handing checkpoints back to the main connection (before it closes). */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    if (!thread) return;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage('stop');
    await exited;
  }
}

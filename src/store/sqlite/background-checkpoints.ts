import type BetterSqlite3 from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { projectPath } from '../../project-root.js';

const THREAD = projectPath('runtime', 'sqlite-checkpointer.mjs');

/** SQLite's own default: the committing connection checkpoints once the log holds this many pages. */
const AUTO_CHECKPOINT_PAGES = 1000;
/**
 * While the thread runs, the main connection still checkpoints past this many pages. The log
 * only starts over from its beginning when a write begins with every page of it copied, and
 * under steady writes the thread never sees that moment: new pages arrive while it copies. So
 * the log would grow without end (1.7 GB in 16 s in a test). At this size the main connection
 * copies what little the thread has not yet copied, and its next write starts the log over:
 * the log stays under about 40 MiB, and the main thread checkpoints once per ten thousand
 * pages instead of once per thousand, copying a fraction of them.
 */
const BACKSTOP_PAGES = 10_000;

export interface BackgroundCheckpointOptions {
  /** Commits this process makes before the thread starts: a process that writes little never needs one. */
  startAfterCommits?: number;
  /** How often the thread looks for new commits to copy into the database file. */
  intervalMs?: number;
  /** The thread's script (tests give one that fails). */
  script?: string;
}

/**
 * Checkpoints of the embedded database in a worker thread. By default SQLite checkpoints inside
 * the commit that fills the log past a thousand pages: that commit copies the pages into the
 * database file and fsyncs it, on the thread that serves requests. Under load that was half of
 * every commit's cost (about 550 µs a commit, 250 without). Once this process has committed
 * `startAfterCommits` times, a thread with its own connection takes over (PASSIVE checkpoints,
 * which never block readers or writers) and the main connection checkpoints only as a backstop
 * (see BACKSTOP_PAGES); should the thread stop, the main connection checkpoints as before.
 * Nothing depends on the thread for correctness: the log is part of the database either way.
 */
export class BackgroundCheckpoints {
  private commits = 0;
  private thread: Worker | undefined;
  private closed = false;
  private readonly startAfter: number;
  private readonly intervalMs: number;
  private readonly script: string;
  /** Checkpoints the thread reported. */
  checkpoints = 0;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly file: string,
    o: BackgroundCheckpointOptions = {},
  ) {
    this.startAfter = o.startAfterCommits ?? 200;
    this.intervalMs = o.intervalMs ?? 200;
    this.script = o.script ?? THREAD;
  }

  /** Called after each commit of this process. */
  committed(): void {
    if (++this.commits === this.startAfter && !this.closed) this.start();
  }

  /** Whether the thread is checkpointing (and the main connection only as a backstop). */
  get running(): boolean {
    return this.db.pragma('wal_autocheckpoint', { simple: true }) === BACKSTOP_PAGES;
  }

  private start(): void {
    const thread = new Worker(this.script, {
      workerData: { file: this.file, intervalMs: this.intervalMs },
    });
    this.thread = thread;
    // The thread never keeps the process alive; the main connection's close checkpoints last.
    thread.unref();
    thread.on('message', (m: { type: string }) => {
      // A thread that already failed (its error can be handled before its last message) and
      // a closing store keep the main connection's own checkpoints.
      if (m.type === 'ready' && this.thread === thread && !this.closed) {
        this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
      } else if (m.type === 'checkpointed') this.checkpoints++;
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

import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { StoreNotifications } from '../store/notifications.js';
import { Wakeup } from './wakeup.js';

const CHANGED_DEBOUNCE_MS = 50;
const WORK_DEBOUNCE_MS = 2;
/** Postgres notification payloads are limited to 8,000 bytes. */
const MAX_PAYLOAD = 7_900;

/**
 * Signals between the API and the workers: new runs or jobs (wake idle workers), cancellations
 * (abort running code at once), and new events of a run (wake log and SSE followers). Within a
 * process they are in-memory; connected to the store's notifications (Postgres) they also reach
 * every other process, debounced so that a burst sends one notification, never one per row.
 */
export class RunSignals {
  /** Workers of this process wait here for queued runs. */
  readonly work = new Wakeup();
  /** Job runners of this process wait here for queued jobs. */
  readonly jobWork = new Wakeup();
  private readonly cancels = new EventEmitter();
  private readonly events = new EventEmitter();
  private remote: StoreNotifications | undefined;
  private log: Logger | undefined;
  private pending = { work: false, jobs: false };
  private readonly changedIds = new Set<string>();
  private changedTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.cancels.setMaxListeners(0);
    this.events.setMaxListeners(0);
  }

  /** Starts exchanging signals with other processes through `n`. */
  async connect(n: StoreNotifications, log: Logger): Promise<void> {
    this.remote = n;
    this.log = log;
    await n.listen('runbox_work', () => this.work.signal());
    await n.listen('runbox_jobs', () => this.jobWork.signal());
    await n.listen('runbox_cancel', (id) => this.cancels.emit(id));
    await n.listen('runbox_changed', (ids) => {
      for (const id of ids.split(',')) if (id) this.events.emit(id);
    });
  }

  private send(channel: string, payload: string): void {
    this.remote?.notify(channel, payload).catch((err: unknown) => {
      this.log?.warn({ err, channel }, 'sending a notification failed; other nodes will poll');
    });
  }

  private debounced(kind: 'work' | 'jobs'): void {
    if (!this.remote || this.pending[kind]) return;
    this.pending[kind] = true;
    setTimeout(() => {
      this.pending[kind] = false;
      this.send(kind === 'work' ? 'runbox_work' : 'runbox_jobs', '');
    }, WORK_DEBOUNCE_MS);
  }

  /** Runs were queued. */
  newWork(): void {
    this.work.signal();
    this.debounced('work');
  }

  /** Jobs were queued. */
  newJobs(): void {
    this.jobWork.signal();
    this.debounced('jobs');
  }

  cancel(runId: string): void {
    this.cancels.emit(runId);
    this.send('runbox_cancel', runId);
  }

  onCancel(runId: string, fn: () => void): () => void {
    this.cancels.on(runId, fn);
    return () => this.cancels.off(runId, fn);
  }

  /** Something new was recorded for `runId` (status, file outcome or log lines). */
  changed(runId: string): void {
    this.events.emit(runId);
    if (!this.remote) return;
    this.changedIds.add(runId);
    this.changedTimer ??= setTimeout(() => this.flushChanged(), CHANGED_DEBOUNCE_MS);
  }

  private flushChanged(): void {
    this.changedTimer = undefined;
    let batch = '';
    for (const id of this.changedIds) {
      if (batch.length + id.length + 1 > MAX_PAYLOAD) {
        this.send('runbox_changed', batch);
        batch = '';
      }
      batch += batch ? `,${id}` : id;
    }
    this.changedIds.clear();
    if (batch) this.send('runbox_changed', batch);
  }

  onChange(runId: string, fn: () => void): () => void {
    this.events.on(runId, fn);
    return () => this.events.off(runId, fn);
  }
}

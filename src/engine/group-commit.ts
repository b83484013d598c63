import type { Repositories, Store } from '../store/store.js';

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions<T> {
  /** Most items in one transaction. */
  maxBatch?: number;
  /** Called with the items of each committed transaction (e.g. to wake followers). */
  onCommitted?: (items: T[]) => void;
}

/**
 * Writes items from concurrent callers in shared transactions: whatever arrives while one
 * transaction commits goes into the next. Under load many callers share one commit; alone, an
 * item waits for nothing but its own transaction. `apply` writes a whole batch and returns one
 * result per item. If a shared transaction fails, each of its items is retried alone, so one
 * bad item fails only its own caller.
 */
export class GroupCommit<T, R = void> {
  private queue: Pending<T, R>[] = [];
  private running: Promise<void> | undefined;
  private readonly maxBatch: number;

  constructor(
    private readonly store: Store,
    private readonly apply: (tx: Repositories, items: T[]) => Promise<R[]>,
    private readonly opts: GroupCommitOptions<T> = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 256;
  }

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.drainQueue();
    });
  }

  /** Resolves once everything submitted so far is written (or has failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async commit(batch: Pending<T, R>[]): Promise<void> {
    const items = batch.map((p) => p.item);
    const results = await this.store.transaction((tx) => this.apply(tx, items));
    batch.forEach((p, i) => p.resolve(results[i]!));
    this.opts.onCommitted?.(items);
  }

  private async drainQueue(): Promise<void> {
    // Let the callers already woken in this turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.commit(batch);
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        for (const p of batch) await this.commit([p]).catch((one: unknown) => p.reject(one));
      }
    }
    this.running = undefined;
  }
}

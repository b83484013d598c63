import type { Repositories, Store } from '../store/store.js';

interface Pending<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Writes items from concurrent callers in shared transactions: whatever arrives while one
 * transaction commits goes into the next. Under load many requests share one commit; alone, an
 * item waits for nothing but its own transaction. If a shared transaction fails, each of its
 * items is retried alone, so one bad item fails only its own caller.
 */
export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly apply: (tx: Repositories, item: T) => Promise<void>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    // Let the requests already parsed in this turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.store.transaction(async (tx) => {
          for (const p of batch) await this.apply(tx, p.item);
        });
        for (const p of batch) p.resolve();
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        for (const p of batch) {
          try {
            await this.store.transaction((tx) => this.apply(tx, p.item));
            p.resolve();
          } catch (one) {
            p.reject(one);
          }
        }
      }
    }
    this.running = undefined;
  }
}

/**
 * Wakes idle runners when work is enqueued, instead of making them poll fast. In one process a
 * plain in-memory signal; across processes the Postgres store adds a debounced notification.
 */
export class Wakeup {
  private waiters: (() => void)[] = [];

  /** Resolves on the next `signal()` or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  signal(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}

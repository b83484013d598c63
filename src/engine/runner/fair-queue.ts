/**
 * A queue that takes turns between keys (orgs): each `shift` serves the next key in rotation,
 * oldest item first within a key, and a key that had nothing waiting goes first. One org's thousand waiting files do not hold back another
 * org's one.
 */
export class FairQueue<T> {
  private readonly byKey = new Map<string, T[]>();
  private readonly turn: string[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(key: string, item: T): void {
    let q = this.byKey.get(key);
    if (!q) {
      q = [];
      this.byKey.set(key, q);
      // A key with nothing waiting gets the next turn: a newly arrived org is served at once.
      this.turn.unshift(key);
    }
    q.push(item);
    this.count++;
  }

  shift(): T | undefined {
    const key = this.turn.shift();
    if (key === undefined) return undefined;
    const q = this.byKey.get(key)!;
    const item = q.shift()!;
    this.count--;
    if (q.length > 0) this.turn.push(key);
    else this.byKey.delete(key);
    return item;
  }

  /** Removes and returns everything (shutdown). */
  drain(): T[] {
    const all = [...this.byKey.values()].flat();
    this.byKey.clear();
    this.turn.length = 0;
    this.count = 0;
    return all;
  }
}

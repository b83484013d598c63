/**
 * Tells callers that keep query results in memory when those may be out of date. Each topic's
 * `epoch()` changes whenever its data may have changed, in this process or in any other; it is
 * undefined while changes made elsewhere could go unheard, and then nothing may be kept.
 *
 * - `auth`: tokens and memberships (revocations, role changes);
 * - `apps`: apps and their versions (which version is the newest).
 */
export type ChangeTopic = 'auth' | 'apps';

export interface CacheChanges {
  epoch(topic: ChangeTopic): string | undefined;
  /** Called by the repositories that change a topic's data, before their commit. */
  changedHere(topic: ChangeTopic): void;
}

/**
 * SQLite: this process's own changes, and `PRAGMA data_version`, which moves whenever another
 * connection (a `runbox admin` command, a worker process) commits anything. Reading it takes a
 * file lock (a few microseconds), so one reading serves a whole turn of the event loop: what
 * another process commits is seen from the next turn on, as if the requests of this turn had
 * all been read at its start.
 */
export class SqliteCacheChanges implements CacheChanges {
  private readonly local = { auth: 0, apps: 0 };
  private version: number | undefined;
  private readonly forget = () => {
    this.version = undefined;
  };

  constructor(private readonly dataVersion: () => number) {}

  epoch(topic: ChangeTopic): string {
    if (this.version === undefined) {
      this.version = this.dataVersion();
      setImmediate(this.forget);
    }
    return `${this.version}:${this.local[topic]}`;
  }

  changedHere(topic: ChangeTopic): void {
    this.local[topic]++;
  }
}

/**
 * Postgres: this process's own changes, and the `runbox_changes` notification (the topic as
 * payload) every change sends in its transaction, so it is heard once committed. While the
 * listening connection is down nothing is trusted; when it comes back, everything kept before
 * is stale.
 */
export class PostgresCacheChanges implements CacheChanges {
  private readonly counters = { auth: 0, apps: 0 };
  private listening = false;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly listen: (
      channel: string,
      onMessage: (payload: string) => void,
      onConnection: (up: boolean) => void,
    ) => Promise<void>,
  ) {}

  epoch(topic: ChangeTopic): string | undefined {
    this.starting ??= this.listen(
      CHANGES_CHANNEL,
      (payload) => {
        if (payload === 'auth' || payload === 'apps') this.counters[payload]++;
      },
      (up) => {
        this.counters.auth++;
        this.counters.apps++;
        this.listening = up;
      },
    ).catch(() => {
      this.starting = undefined;
    });
    return this.listening ? String(this.counters[topic]) : undefined;
  }

  changedHere(topic: ChangeTopic): void {
    this.counters[topic]++;
  }
}

export const CHANGES_CHANNEL = 'runbox_changes';

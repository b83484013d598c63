/**
 * Tells callers that keep authentication results (token → user, role) when those may be out of
 * date. `epoch()` changes whenever tokens or memberships may have changed, in this process or in
 * any other; it is undefined while changes made elsewhere could go unheard, and then nothing
 * may be kept.
 */
export interface AuthChanges {
  epoch(): string | undefined;
  /** Called by the repositories that change tokens or memberships, before their commit. */
  changedHere(): void;
}

/**
 * SQLite: this process's own changes, and `PRAGMA data_version`, which moves whenever another
 * connection (a `runbox admin` command, a worker process) commits anything.
 */
export class SqliteAuthChanges implements AuthChanges {
  private local = 0;

  constructor(private readonly dataVersion: () => number) {}

  epoch(): string {
    return `${this.dataVersion()}:${this.local}`;
  }

  changedHere(): void {
    this.local++;
  }
}

/**
 * Postgres: this process's own changes, and the `runbox_auth` notification every change sends
 * in its transaction (so it is heard once committed). While the listening connection is down,
 * nothing is trusted; when it comes back, everything kept before is stale.
 */
export class PostgresAuthChanges implements AuthChanges {
  private counter = 0;
  private listening = false;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly listen: (
      channel: string,
      onMessage: () => void,
      onConnection: (up: boolean) => void,
    ) => Promise<void>,
  ) {}

  epoch(): string | undefined {
    this.starting ??= this.listen(
      'runbox_auth',
      () => this.counter++,
      (up) => {
        this.counter++;
        this.listening = up;
      },
    ).catch(() => {
      this.starting = undefined;
    });
    return this.listening ? String(this.counter) : undefined;
  }

  changedHere(): void {
    this.counter++;
  }
}

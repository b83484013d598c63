import pg from 'pg';
import { backoffMs } from '../../domain/backoff.js';
import type { StoreNotifications } from '../notifications.js';

/**
 * LISTEN/NOTIFY on a dedicated connection (a pooled one would lose its LISTENs when returned).
 * The connection is reopened with backoff if it drops; callers debounce what they send, so
 * notifications never come one per row on a hot path.
 */
export class PostgresNotifications implements StoreNotifications {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly handlers = new Map<string, ((payload: string) => void)[]>();
  private readonly watchers: ((up: boolean) => void)[] = [];
  private closed = false;
  private retrying = false;

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly prefix: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  async notify(channel: string, payload: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.prefix + channel, payload]);
  }

  /**
   * Resolves once listening, or, if the server cannot be reached now, once a reconnection is
   * scheduled (every channel is listened to again when it succeeds).
   */
  async listen(name: string, fn: (payload: string) => void): Promise<void> {
    const channel = this.prefix + name;
    const known = this.handlers.get(channel);
    this.handlers.set(channel, [...(known ?? []), fn]);
    try {
      const client = await this.connect();
      if (!known) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      this.onError(err);
      this.reconnectLater(1);
    }
  }

  /**
   * Calls `fn(true)` now if listening and whenever listening resumes after a lost connection
   * (notifications sent meanwhile were missed), and `fn(false)` when the connection is lost.
   */
  watchConnection(fn: (up: boolean) => void): void {
    this.watchers.push(fn);
    if (this.client) fn(true);
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('notification', (m) => {
        for (const fn of this.handlers.get(m.channel) ?? []) fn(m.payload ?? '');
      });
      client.on('error', (err) => {
        for (const fn of this.watchers) fn(false);
        this.onError(err);
        this.client = undefined;
        void client.end().catch(() => undefined);
        if (!this.closed) this.reconnectLater(1);
      });
      await client.connect();
      for (const channel of this.handlers.keys()) {
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      this.client = client;
      for (const fn of this.watchers) fn(true);
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private reconnectLater(attempt: number): void {
    if (this.retrying) return;
    this.retrying = true;
    setTimeout(
      () => {
        this.retrying = false;
        if (this.closed) return;
        this.connect().catch((err: unknown) => {
          this.onError(err);
          this.reconnectLater(attempt + 1);
        });
      },
      backoffMs(attempt, { baseMs: 100, capMs: 10_000 }),
    ).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}

/** Signals between processes through the database itself (Postgres LISTEN/NOTIFY). */
export interface StoreNotifications {
  notify(channel: string, payload: string): Promise<void>;
  /** Calls `fn` for every notification on `channel`; resolves once listening. */
  listen(channel: string, fn: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}

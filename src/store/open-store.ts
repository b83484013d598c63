import { join } from 'node:path';
import { openPostgresStore } from './postgres/open-store.js';
import { openSqliteStore } from './sqlite/open-store.js';
import type { Store } from './store.js';

/** Postgres when a `postgres://` URL is given, the embedded SQLite file otherwise. */
export function openStore(opts: {
  databaseUrl?: string | undefined;
  dataDir: string;
  schema?: string | undefined;
  now?: () => number;
}): Store {
  const url = opts.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    return openPostgresStore({ url, schema: opts.schema, ...(opts.now ? { now: opts.now } : {}) });
  }
  if (url && !url.startsWith('sqlite:')) {
    throw new Error(`RUNBOX_DATABASE_URL must be postgres://… or sqlite:PATH, got ${url}`);
  }
  const file = url ? url.slice('sqlite:'.length) : join(opts.dataDir, 'runbox.db');
  return openSqliteStore(file, opts.now);
}

import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../domain/backoff.js';
import { SchemaMismatchError } from './migration.js';
import type { Store } from './store.js';

export interface PrepareOptions {
  /** Apply pending migrations (else refuse a schema older than this build). */
  migrate: boolean;
  /** Keep trying, with capped and jittered exponential backoff, while the store cannot be reached. */
  retry: boolean;
  /** Longest wait between two attempts. */
  retryCapMs?: number;
  /** Stops waiting (the process is shutting down). */
  signal?: AbortSignal;
  onRetry?: (err: unknown, delayMs: number, attempt: number) => void;
  /** The schema has migrations of a newer release (a rolling upgrade is under way). */
  onNewerSchema?: (applied: number, known: number) => void;
}

const older = (applied: number, known: number) =>
  `The database schema is older than this Runbox (${known - applied} of ${known} migrations not applied). Run \`runbox migrate\` with this version first, or start without --no-migrate.`;

/**
 * Waits until the store answers and its schema fits this build: migrated here, or (with
 * `migrate` off) already migrated by `runbox migrate`, by this release or a newer one. A store that cannot be reached is tried
 * again; a schema that does not fit is a `SchemaMismatchError` at once.
 */
export async function prepareStore(store: Store, o: PrepareOptions): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (o.migrate) {
        await store.migrate();
      } else {
        // Not migrating, a newer schema is fine: a release's migrations never take away what
        // the release before it uses, so old nodes keep working during a rolling upgrade.
        const m = await store.migrationStatus();
        if (m.applied < m.known) throw new SchemaMismatchError(older(m.applied, m.known));
        if (m.applied > m.known) o.onNewerSchema?.(m.applied, m.known);
      }
      await store.ping();
      return;
    } catch (err) {
      if (err instanceof SchemaMismatchError || !o.retry || o.signal?.aborted) throw err;
      const delay = backoffMs(attempt, { baseMs: 200, capMs: o.retryCapMs ?? 10_000 });
      o.onRetry?.(err, delay, attempt + 1);
      // An abort ends the wait early (rejecting it); the check below then stops.
      await sleep(delay, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
      if (o.signal?.aborted)
        throw new Error('Stopped before the store could be reached.', { cause: err });
    }
  }
}

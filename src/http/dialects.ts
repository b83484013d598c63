import type { ErrorType, RunboxError } from '../contract/errors.js';

/** The API dialects this server speaks; each renders errors in its own envelope. */
export type Dialect = 'aihub' | 'apify' | 'praison';

export function dialectOf(url: string): Dialect {
  if (url.startsWith('/api/v1/runs')) return 'praison';
  if (url.startsWith('/v2/')) return 'apify';
  return 'aihub';
}

/**
 * Where a dialect names a catalogue error its own way: Apify calls an unfinished run's refused
 * deletion `cannot-remove-running-run`, with 400 (its only use of `run-not-finished`).
 */
const APIFY_RENAMED: Partial<Record<ErrorType, { type: string; status: number }>> = {
  'run-not-finished': { type: 'cannot-remove-running-run', status: 400 },
};

/** The HTTP status an error has in a dialect: the catalogue's, unless the dialect renames it. */
export function errorStatus(dialect: Dialect, err: RunboxError): number {
  return (dialect === 'apify' ? APIFY_RENAMED[err.type]?.status : undefined) ?? err.status;
}

export function renderError(dialect: Dialect, err: RunboxError, requestId?: string): unknown {
  switch (dialect) {
    case 'aihub':
      return {
        message: err.message,
        type: err.type,
        ...(err.type === 'internal-error' && requestId ? { request_id: requestId } : {}),
      };
    case 'apify':
      return { error: { type: APIFY_RENAMED[err.type]?.type ?? err.type, message: err.message } };
    case 'praison':
      return { detail: err.message };
    default: {
      const never: never = dialect;
      throw new Error(`unknown dialect ${String(never)}`);
    }
  }
}

import type { RunboxError } from '../contract/errors.js';

/** The API dialects this server speaks; each renders errors in its own envelope. */
export type Dialect = 'aihub' | 'apify' | 'praison';

export function dialectOf(url: string): Dialect {
  if (url.startsWith('/api/v1/runs')) return 'praison';
  if (url.startsWith('/v2/')) return 'apify';
  return 'aihub';
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
      return { error: { type: err.type, message: err.message } };
    case 'praison':
      return { detail: err.message };
    default: {
      const never: never = dialect;
      throw new Error(`unknown dialect ${String(never)}`);
    }
  }
}

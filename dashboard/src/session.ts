import { Runbox } from '../../client/src/index.js';

/** What the browser keeps of a sign-in: session storage only, gone when the tab closes. */
export interface Session {
  token: string;
  /** The org chosen as `IB-Context`; undefined: the user's personal context. */
  context: string | undefined;
}

const TOKEN = 'runbox.token';
const CONTEXT = 'runbox.context';

export function loadSession(storage: Storage = sessionStorage): Session | undefined {
  const token = storage.getItem(TOKEN);
  if (!token) return undefined;
  return { token, context: storage.getItem(CONTEXT) ?? undefined };
}

export function saveSession(s: Session, storage: Storage = sessionStorage): void {
  storage.setItem(TOKEN, s.token);
  if (s.context) storage.setItem(CONTEXT, s.context);
  else storage.removeItem(CONTEXT);
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(TOKEN);
  storage.removeItem(CONTEXT);
}

/**
 * The SDK client of this server (the page's own origin). `onUnauthorized` hears a 401: the
 * token was revoked or expired while the page was open.
 */
export function clientFor(
  s: Session,
  o: { origin?: string; onUnauthorized?: () => void } = {},
): Runbox {
  const base = globalThis.fetch.bind(globalThis);
  const watched: typeof fetch = async (input, init) => {
    const res = await base(input, init);
    if (res.status === 401) o.onUnauthorized?.();
    return res;
  };
  return new Runbox({
    apiRoot: `${o.origin ?? location.origin}/api`,
    token: s.token,
    context: s.context,
    fetch: watched,
  });
}

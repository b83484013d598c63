import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { RunboxError, type Runbox } from '../../client/src/index.js';
import type { CurrentUser } from '../../client/src/index.js';

export interface SignedIn {
  client: Runbox;
  me: CurrentUser;
  signOut(): void;
}

export const SessionContext = createContext<SignedIn | undefined>(undefined);

export function useSession(): SignedIn {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export const isAdmin = (me: CurrentUser) => me.context.role === 'admin';

/** An error's message as the API gave it. */
export function messageOf(err: unknown): string {
  if (err instanceof RunboxError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p role="alert" className="error">
      {messageOf(error)}
    </p>
  );
}

/** Loads `load()` now and whenever `deps` change; `reload()` loads again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ value?: T; error?: unknown; loading: boolean }>({
    loading: true,
  });
  const seq = useRef(0);
  const reload = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => n === seq.current && setState({ value, loading: false }),
      (error: unknown) => n === seq.current && setState({ error, loading: false }),
    );
  }, deps);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload, set: (value: T) => setState({ value, loading: false }) };
}

/**
 * `fn`, called at most once per `ms`: calls in the meantime make one call at its end. A stream
 * replaying a run's thousand file events then reloads a list a few times, not a thousand.
 */
export function useCoalesced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(
    () => () => {
      clearTimeout(timer.current);
      timer.current = undefined;
    },
    [fn],
  );
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      fn();
    }, ms);
  }, [fn, ms]);
}

/** Runs an action, keeping its error to show and whether it is under way. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}

/** A table's header row: one column header per name. */
export function TableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** A v2 timestamp (Unix nanoseconds) as local date and time. */
export function fromNanos(ns: number | null | undefined): string {
  if (ns === null || ns === undefined) return '—';
  return new Date(ns / 1e6).toLocaleString();
}

export function fromMillis(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString();
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

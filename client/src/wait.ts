import { RunboxTimeoutError } from './errors.js';

export interface WaitOptions {
  /** Stops waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal | undefined;
  /** Gives up after this many milliseconds (RunboxTimeoutError). Default: no limit. */
  timeoutMs?: number | undefined;
}

/** A signal that fires on the caller's signal or after the timeout, and what to call after. */
export function waitSignal(what: string, o: WaitOptions): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    o.timeoutMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(new RunboxTimeoutError(what, o.timeoutMs!)), o.timeoutMs);
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    },
  };
}

export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

import { useEffect, useState } from 'react';
import { RunboxError, type RunEvent, type Runbox } from '../../../client/src/index.js';
import { TERMINAL_RUN_STATES } from '../../../src/domain/run-state.js';

/**
 * The run's events from the first, following the stream while the run is unfinished: its
 * timeline. `onEvent` hears each one as it arrives.
 */
export function useRunEvents(
  client: Runbox,
  runId: string,
  onEvent: (e: RunEvent) => void,
): { events: RunEvent[]; error: unknown } {
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setEvents([]);
    // A stream that drops before the run ends is taken up again after the last event seen.
    let afterId = 0;
    let ended = false;
    void follow(
      signal,
      setError,
      () => ended,
      async (progressed) => {
        for await (const e of client.apps.runs.events(runId, { afterId, signal })) {
          afterId = e.id;
          progressed();
          setEvents((es) => (es.some((x) => x.id === e.id) ? es : [...es, e]));
          onEvent(e);
          if (e.kind === 'status' && ENDED.has(String(e.data.state))) ended = true;
        }
      },
    );
    return () => controller.abort();
  }, [client, runId, onEvent]);
  return { events, error };
}

/** The log's lines, following it while the run writes it. */
export function useRunLog(client: Runbox, runId: string): { lines: string[]; error: unknown } {
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setLines([]);
    // The log ends when the run does; a follow that drops before is read again from the start.
    let ended = false;
    void follow(
      signal,
      setError,
      () => ended,
      async () => {
        let fresh = true;
        for await (const line of client.apps.runs.followLogs(runId, { signal })) {
          // Read now: the update runs later, when `fresh` has moved on.
          const first = fresh;
          fresh = false;
          setLines((ls) => (first ? [line] : [...ls, line]));
        }
        ended = true;
      },
    );
    return () => controller.abort();
  }, [client, runId]);
  return { lines, error };
}

/** States after which a run's stream has nothing more to say. */
const ENDED: ReadonlySet<string> = new Set(TERMINAL_RUN_STATES);

/**
 * Runs `attempt` (one follow of a stream) again until `ended()` or `signal` aborts, pausing
 * longer after each failure in a row (`progressed()` resets the count). A refusal (4xx: gone,
 * not allowed) is final; `setError` hears it, or a second failure in a row, and is cleared by
 * a follow that ends cleanly.
 */
async function follow(
  signal: AbortSignal,
  setError: (err: unknown) => void,
  ended: () => boolean,
  attempt: (progressed: () => void) => Promise<void>,
): Promise<void> {
  for (let failures = 0; !ended() && !signal.aborted;) {
    try {
      await attempt(() => (failures = 0));
      setError(undefined);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof RunboxError && err.status >= 400 && err.status < 500) {
        setError(err);
        return;
      }
      failures++;
      if (failures > 1) setError(err);
    }
    if (!ended()) await pause(Math.min(10_000, 1_000 * 2 ** failures), signal);
  }
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

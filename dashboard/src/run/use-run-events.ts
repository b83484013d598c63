import { useEffect, useState } from 'react';
import { RunboxError, type RunEvent, type Runbox } from '../../../client/src/index.js';

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
    void (async () => {
      // A stream that drops before the run ends is taken up again after the last event seen.
      let afterId = 0;
      let ended = false;
      for (let failures = 0; !ended && !signal.aborted;) {
        try {
          for await (const e of client.apps.runs.events(runId, { afterId, signal })) {
            afterId = e.id;
            failures = 0;
            setEvents((es) => (es.some((x) => x.id === e.id) ? es : [...es, e]));
            onEvent(e);
            if (e.kind === 'status' && ENDED.has(String(e.data.state))) ended = true;
          }
          setError(undefined);
        } catch (err) {
          if (signal.aborted) return;
          // Refused (gone, not allowed): nothing to take up again.
          if (err instanceof RunboxError && err.status >= 400 && err.status < 500) {
            setError(err);
            return;
          }
          failures++;
          if (failures > 1) setError(err);
        }
        if (!ended) await pause(Math.min(10_000, 1_000 * 2 ** failures), signal);
      }
    })();
    return () => controller.abort();
  }, [client, runId, onEvent]);
  return { events, error };
}

/** States after which a run's stream has nothing more to say. */
const ENDED = new Set(['complete', 'failed', 'timed_out', 'cancelled']);

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

/** The log's lines, following it while the run writes it. */
export function useRunLog(client: Runbox, runId: string): { lines: string[]; error: unknown } {
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setLines([]);
    void (async () => {
      // The log ends when the run does; a follow that drops before is read again from the start.
      for (let failures = 0; !signal.aborted;) {
        let fresh = true;
        try {
          for await (const line of client.apps.runs.followLogs(runId, { signal })) {
            // Read now: the update runs later, when `fresh` has moved on.
            const first = fresh;
            fresh = false;
            setLines((ls) => (first ? [line] : [...ls, line]));
          }
          setError(undefined);
          return;
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof RunboxError && err.status >= 400 && err.status < 500) {
            setError(err);
            return;
          }
          failures++;
          if (failures > 1) setError(err);
        }
        await pause(Math.min(10_000, 1_000 * 2 ** failures), signal);
      }
    })();
    return () => controller.abort();
  }, [client, runId]);
  return { lines, error };
}

import { useEffect, useState } from 'react';
import type { RunEvent, Runbox } from '../../../client/src/index.js';

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
    setEvents([]);
    void (async () => {
      try {
        for await (const e of client.apps.runs.events(runId, { signal: controller.signal })) {
          setEvents((es) => (es.some((x) => x.id === e.id) ? es : [...es, e]));
          onEvent(e);
        }
      } catch (err) {
        if (!controller.signal.aborted) setError(err);
      }
    })();
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
    setLines([]);
    void (async () => {
      try {
        for await (const line of client.apps.runs.followLogs(runId, {
          signal: controller.signal,
        })) {
          setLines((ls) => [...ls, line]);
        }
      } catch (err) {
        if (!controller.signal.aborted) setError(err);
      }
    })();
    return () => controller.abort();
  }, [client, runId]);
  return { lines, error };
}

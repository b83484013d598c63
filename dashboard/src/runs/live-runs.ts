import { useEffect } from 'react';
import type { Run, Runbox } from '../../../client/src/index.js';
import { statusOfState } from './run-filters.js';

/** At most this many runs followed at once (a browser has few connections to one server). */
export const MAX_FOLLOWED = 3;

/**
 * Follows the events stream of the unfinished runs among `runs` (the first few), calling
 * `onStatus` with each status change as it happens.
 */
export function useLiveRuns(
  client: Runbox,
  runs: readonly Run[],
  onStatus: (runId: string, status: Run['status'], msg: string) => void,
): void {
  const ids = runs
    .filter((r) => r.status === 'RUNNING')
    .slice(0, MAX_FOLLOWED)
    .map((r) => r.id)
    .join(',');
  useEffect(() => {
    if (!ids) return;
    const controller = new AbortController();
    for (const id of ids.split(',')) {
      void (async () => {
        try {
          for await (const e of client.apps.runs.events(id, { signal: controller.signal })) {
            if (e.kind !== 'status') continue;
            onStatus(
              id,
              statusOfState(String(e.data.state)),
              typeof e.data.msg === 'string' ? e.data.msg : '',
            );
          }
        } catch {
          // aborted, or the stream dropped: the list's refresh catches up
        }
      })();
    }
    return () => controller.abort();
  }, [client, ids, onStatus]);
}

import {
  aihubStatus,
  RUN_STATES,
  type AihubRunStatus,
  type RunState,
} from '../domain/run-state.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import { toAihubRun, type AihubRun } from './run-views.js';

export interface ListRunsQuery {
  app_id?: string | undefined;
  app_name?: string | undefined;
  deployment_id?: string | undefined;
  username?: string | undefined;
  run_id?: string | undefined;
  status?: (AihubRunStatus | 'PAUSED')[] | undefined;
  output_workspaces?: string[] | undefined;
  /** Unix seconds. */
  from_timestamp?: number | undefined;
  to_timestamp?: number | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
  sort_by?: 'start_timestamp' | 'status' | undefined;
  order?: 'ASCENDING' | 'DESCENDING' | undefined;
}

/** The internal states behind each AI Hub status (several show as RUNNING or FAILED). */
const STATES_OF: Record<AihubRunStatus | 'PAUSED', RunState[]> = {
  RUNNING: ['queued', 'running', 'cancelling'],
  STOPPED_AT_CHECKPOINT: ['stopped_at_checkpoint'],
  COMPLETE: ['complete'],
  FAILED: ['failed', 'timed_out'],
  CANCELLED: ['cancelled'],
  PAUSED: [],
};

const DAY_MS = 24 * 3600 * 1000;

/**
 * `sort_by=status` sorts by the status shown (alphabetically, as a client sorting the strings
 * would), so a timed-out run sorts with the other FAILED ones and a cancelling one with RUNNING.
 */
const SHOWN_STATUS_RANK = Object.fromEntries(
  RUN_STATES.map((s) => [
    s,
    [...new Set(RUN_STATES.map(aihubStatus))].sort().indexOf(aihubStatus(s)),
  ]),
) as Record<RunState, number>;

/**
 * `GET /v2/apps/runs`: the filters and defaults of the reference (`from_timestamp` defaults to
 * 24 hours ago), newest first.
 */
export async function listRuns(
  store: Store,
  p: Principal,
  q: ListRunsQuery,
  now: number,
): Promise<AihubRun[]> {
  let appId = q.app_id;
  if (q.app_name !== undefined) {
    const app = await store.apps.byName(p.orgId, q.app_name);
    if (!app || (appId !== undefined && app.id !== appId)) return [];
    appId = app.id;
  }
  const states = q.status?.flatMap((s) => STATES_OF[s]);
  if (states && states.length === 0) return [];
  const rows = await store.runs.list({
    orgId: p.orgId,
    appId,
    deploymentId: q.deployment_id,
    createdBy: q.username,
    runId: q.run_id,
    states,
    outputWorkspaces: q.output_workspaces,
    from: q.from_timestamp !== undefined ? q.from_timestamp * 1000 : now - DAY_MS,
    to: q.to_timestamp !== undefined ? q.to_timestamp * 1000 + 999 : undefined,
    sortByState: q.sort_by === 'status',
    stateRank: SHOWN_STATUS_RANK,
    order: q.order === 'ASCENDING' ? 'asc' : 'desc',
    limit: q.limit ?? 100,
    offset: q.offset ?? 0,
  });
  return rows.map(toAihubRun);
}

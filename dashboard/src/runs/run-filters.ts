import type { ListRunsQuery, Run, RunStatus } from '../../../client/src/index.js';
import { aihubStatus, RUN_STATES, type RunState } from '../../../src/domain/run-state.js';

/** The statuses a v2 run shows (PAUSED is never emitted), in the order of the states behind them. */
export const STATUSES: readonly RunStatus[] = [...new Set(RUN_STATES.map(aihubStatus))];

export const RANGES = ['24h', '7d', '30d', 'all', 'custom'] as const;
export type Range = (typeof RANGES)[number];

/** The runs list's filters, as the URL keeps them (so a filtered list can be shared). */
export interface RunFilters {
  app: string;
  deployment: string;
  status: string[];
  /** Comma-separated: a run must carry every one. */
  tags: string;
  user: string;
  range: Range;
  /** `datetime-local` values, for the custom range. */
  from: string;
  to: string;
}

export const NO_FILTERS: RunFilters = {
  app: '',
  deployment: '',
  status: [],
  tags: '',
  user: '',
  range: '24h',
  from: '',
  to: '',
};

/** Where the next page starts: runs started at or before `to` (Unix seconds), `skip` of them seen. */
export interface Cursor {
  to: number | undefined;
  skip: number;
}

export const FIRST_PAGE: Cursor = { to: undefined, skip: 0 };

const RANGE_SECONDS: Record<Exclude<Range, 'all' | 'custom'>, number> = {
  '24h': 24 * 3600,
  '7d': 7 * 24 * 3600,
  '30d': 30 * 24 * 3600,
};

export function filtersFromSearch(q: URLSearchParams): RunFilters {
  const range = q.get('range');
  return {
    app: q.get('app') ?? '',
    deployment: q.get('deployment') ?? '',
    status: q.getAll('status').filter((s) => (STATUSES as readonly string[]).includes(s)),
    tags: q.get('tags') ?? '',
    user: q.get('user') ?? '',
    range: (RANGES as readonly string[]).includes(range ?? '') ? (range as Range) : '24h',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
  };
}

export function filtersToSearch(f: RunFilters): string {
  const q = new URLSearchParams();
  if (f.app) q.set('app', f.app);
  if (f.deployment) q.set('deployment', f.deployment);
  for (const s of f.status) q.append('status', s);
  if (f.tags.trim()) q.set('tags', f.tags.trim());
  if (f.user.trim()) q.set('user', f.user.trim());
  if (f.range !== '24h') q.set('range', f.range);
  if (f.range === 'custom') {
    if (f.from) q.set('from', f.from);
    if (f.to) q.set('to', f.to);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const seconds = (local: string): number | undefined => {
  if (!local) return undefined;
  const ms = new Date(local).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
};

export const tagsOf = (f: RunFilters): string[] =>
  f.tags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * The list request for `filters` at `cursor`, newest first. Pages go back in time by start
 * second (`to_timestamp`) rather than by a growing offset, so a page deep in a large history
 * costs what the first one does; `offset` only skips the runs of that second already shown.
 */
export function listQuery(
  f: RunFilters,
  cursor: Cursor,
  limit: number,
  nowMs: number,
): ListRunsQuery {
  const nowS = Math.floor(nowMs / 1000);
  const from =
    f.range === 'custom'
      ? (seconds(f.from) ?? 0)
      : f.range === 'all'
        ? 0
        : nowS - RANGE_SECONDS[f.range];
  const rangeTo = f.range === 'custom' ? seconds(f.to) : undefined;
  const to =
    cursor.to === undefined
      ? rangeTo
      : rangeTo === undefined
        ? cursor.to
        : Math.min(cursor.to, rangeTo);
  return {
    ...(f.app ? { app_name: f.app } : {}),
    ...(f.deployment ? { deployment_id: f.deployment } : {}),
    ...(f.user.trim() ? { username: f.user.trim() } : {}),
    ...(f.status.length > 0 ? { status: f.status as RunStatus[] } : {}),
    from_timestamp: from,
    ...(to !== undefined ? { to_timestamp: to } : {}),
    ...(cursor.skip > 0 ? { offset: cursor.skip } : {}),
    limit,
    sort_by: 'start_timestamp',
    order: 'DESCENDING',
  };
}

/** The cursor after a page (`page` as returned, newest first), or undefined at the end. */
export function nextCursor(
  page: readonly Run[],
  cursor: Cursor,
  limit: number,
): Cursor | undefined {
  if (page.length < limit) return undefined;
  const secondOf = (r: Run) => Math.floor(r.start_timestamp / 1e9);
  const last = secondOf(page[page.length - 1]!);
  const sameSecond = page.filter((r) => secondOf(r) === last).length;
  // The whole page in the cursor's own second: skip further within it.
  if (cursor.to === last) return { to: last, skip: cursor.skip + sameSecond };
  return { to: last, skip: sameSecond };
}

/** Tags are not a server filter: a run shows when it carries every tag asked for. */
export function matchesTags(run: Run, tags: readonly string[]): boolean {
  return tags.every((t) => run.tags?.includes(t) ?? false);
}

/**
 * A status's count from one list request of at most `cap` runs: those carrying `tags`, with a
 * `+` when the request was full (more runs lie beyond it, tagged or not).
 */
export function countLabel(page: readonly Run[], tags: readonly string[], cap: number): string {
  const n = page.filter((r) => matchesTags(r, tags)).length;
  return page.length >= cap ? `${n}+` : String(n);
}

/** A run's shown status from an events-stream state (the internal one). */
export function statusOfState(state: string): RunStatus {
  return (RUN_STATES as readonly string[]).includes(state)
    ? aihubStatus(state as RunState)
    : 'RUNNING';
}

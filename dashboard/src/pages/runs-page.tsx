import { useCallback, useEffect, useState } from 'react';
import type { AppInfo, Deployment, Run } from '../../../client/src/index.js';
import { Link, navigate, useLocation } from '../router.js';
import { useLiveRuns } from '../runs/live-runs.js';
import {
  countLabel,
  filtersFromSearch,
  filtersToSearch,
  FIRST_PAGE,
  listQuery,
  matchesTags,
  nextCursor,
  STATUSES,
  tagsOf,
  type Cursor,
  type RunFilters,
} from '../runs/run-filters.js';
import { RunFiltersForm } from '../runs/run-filters-form.js';
import { ErrorMessage, fromNanos, StatusBadge, TableHead, useAsync, useSession } from '../ui.js';

const PAGE = 25;
/** Counts by status stop at this many (each is one bounded list request). */
const COUNT_CAP = 500;

export default function RunsPage() {
  const { client } = useSession();
  const { query } = useLocation();
  const search = query.toString();
  const filters = filtersFromSearch(new URLSearchParams(search));
  const [cursors, setCursors] = useState<Cursor[]>([FIRST_PAGE]);
  const cursor = cursors[cursors.length - 1]!;
  const [runs, setRuns] = useState<Run[]>([]);
  const [next, setNext] = useState<Cursor>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);

  const apps = useAsync(() => client.apps.list({ limit: 200 }), [client]);
  const deployments = useAsync(() => client.apps.deployments.list({ limit: 200 }), [client]);

  useEffect(() => setCursors([FIRST_PAGE]), [search]);

  useEffect(() => {
    let live = true;
    const f = filtersFromSearch(new URLSearchParams(search));
    client.apps.runs.list(listQuery(f, cursor, PAGE, Date.now())).then(
      ({ runs: page }) => {
        if (!live) return;
        setError(undefined);
        setRuns(page.filter((r) => matchesTags(r, tagsOf(f))));
        setNext(nextCursor(page, cursor, PAGE));
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [client, search, cursor, tick]);

  // Counts are bounded list requests: again when a run settles, or every half minute.
  const [countsTick, setCountsTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setCountsTick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  const [counts, setCounts] = useState<Record<string, string>>({});
  useEffect(() => {
    let live = true;
    const f = filtersFromSearch(new URLSearchParams(search));
    void Promise.all(
      STATUSES.map(async (s) => {
        const q = listQuery({ ...f, status: [s] }, FIRST_PAGE, COUNT_CAP, Date.now());
        const { runs: page } = await client.apps.runs.list(q);
        return [s, countLabel(page, tagsOf(f), COUNT_CAP)] as const;
      }),
    ).then(
      (pairs) => live && setCounts(Object.fromEntries(pairs)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, search, countsTick]);

  // Unfinished runs follow their events; the list itself refreshes while any is unfinished.
  const onStatus = useCallback((id: string, status: Run['status'], msg: string) => {
    setRuns((rs) => rs.map((r) => (r.id === id ? { ...r, status, msg } : r)));
    if (status !== 'RUNNING') {
      setTick((t) => t + 1);
      setCountsTick((t) => t + 1);
    }
  }, []);
  useLiveRuns(client, runs, onStatus);
  const anyRunning = runs.some((r) => r.status === 'RUNNING');
  // The first page also picks up runs started elsewhere, less often.
  const firstPage = cursors.length === 1;
  useEffect(() => {
    const ms = anyRunning ? 5_000 : firstPage ? 15_000 : 0;
    if (ms === 0) return;
    const t = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [anyRunning, firstPage]);

  const appNames = new Map((apps.value?.apps ?? []).map((a) => [a.id, a.name]));
  const apply = (f: RunFilters) => navigate(`/runs${filtersToSearch(f)}`);

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <RunFiltersForm
        key={search}
        value={filters}
        apps={apps.value?.apps ?? ([] as AppInfo[])}
        deployments={deployments.value?.deployments ?? ([] as Deployment[])}
        onApply={apply}
      />
      <ul className="counts" aria-label="Runs by status">
        {STATUSES.map((s) => (
          <li key={s}>
            <button
              type="button"
              aria-pressed={filters.status.length === 1 && filters.status[0] === s}
              onClick={() => apply({ ...filters, status: [s] })}
            >
              <StatusBadge status={s} /> <span data-testid={`count-${s}`}>{counts[s] ?? '…'}</span>
            </button>
          </li>
        ))}
      </ul>
      <ErrorMessage error={error} />
      <div className="table-wrap">
        <table aria-label="Runs">
          <TableHead columns={['Run', 'Status', 'App', 'Started', 'Finished', 'Tags']} />
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                  {r.msg ? <span className="msg"> {r.msg}</span> : null}
                </td>
                <td>{appNames.get(r.app_id ?? '') ?? r.app_id ?? '—'}</td>
                <td>{fromNanos(r.start_timestamp)}</td>
                <td>{fromNanos(r.finish_timestamp)}</td>
                <td>{r.tags?.join(', ')}</td>
              </tr>
            ))}
            {runs.length === 0 && (
              <tr>
                <td colSpan={6}>No runs match.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!next}
          onClick={() => next && setCursors([...cursors, next])}
        >
          Older
        </button>
      </nav>
    </section>
  );
}

import { useCallback, useEffect, useState } from 'react';
import type {
  DeleteRunJobs,
  DeleteRunOptions,
  JobStatus,
  ResultFile,
  Run,
  RunEvent,
  RunFile,
} from '../../../client/src/index.js';
import { DocumentPreview } from '../review/document-preview.js';
import { DeleteRunForm } from '../run/delete-run-dialog.js';
import { ResultsTables } from '../run/results-table.js';
import { useRunEvents, useRunLog } from '../run/use-run-events.js';
import { Link, navigate } from '../router.js';
import { statusOfState } from '../runs/run-filters.js';
import {
  bytes,
  ErrorMessage,
  fromMillis,
  fromNanos,
  StatusBadge,
  TableHead,
  useAction,
  useAsync,
  useCoalesced,
  useSession,
} from '../ui.js';

const FINISHED = new Set(['COMPLETE', 'FAILED', 'CANCELLED']);

export default function RunDetailPage({ runId }: { runId: string }) {
  const { client } = useSession();
  const run = useAsync(() => client.apps.runs.status(runId), [client, runId]);
  const files = useAsync(() => client.apps.runs.files(runId), [client, runId]);
  const [results, setResults] = useState<ResultFile[]>();
  const [resultsError, setResultsError] = useState<unknown>();
  const [deleting, setDeleting] = useState(false);
  const [preview, setPreview] = useState<number>();
  const [jobs, setJobs] = useState<{ part: string; id: string; status?: JobStatus }[]>();
  const action = useAction();
  // Events come in bursts (and all at once when the page opens): each list reloads after them.
  const reloadRun = useCoalesced(run.reload, 200);
  const reloadFiles = useCoalesced(files.reload, 200);

  const onEvent = useCallback(
    (e: RunEvent) => {
      if (e.kind === 'file') reloadFiles();
      if (e.kind === 'status') reloadRun();
    },
    [reloadFiles, reloadRun],
  );
  const { events, error: eventsError } = useRunEvents(client, runId, onEvent);
  const log = useRunLog(client, runId);

  const status = run.value?.status;
  const resting = status !== undefined && status !== 'RUNNING';
  useEffect(() => {
    if (!resting) return;
    let live = true;
    void (async () => {
      try {
        const all: ResultFile[] = [];
        for await (const f of client.apps.runs.allResults(runId, {
          include_confidence_scores: true,
          include_validation_results: true,
          include_review_results: true,
        })) {
          all.push(f);
        }
        if (live) setResults(all);
      } catch (err) {
        if (live) setResultsError(err);
      }
    })();
    return () => {
      live = false;
    };
  }, [client, runId, resting, status]);

  // Deletion jobs are followed until each is done.
  useEffect(() => {
    if (
      !jobs ||
      jobs.every((j) => j.status && j.status.state !== 'PENDING' && j.status.state !== 'RUNNING')
    )
      return;
    const t = setTimeout(() => {
      void Promise.all(
        jobs.map(async (j) => ({ ...j, status: await client.jobs.status(j.id) })),
      ).then(setJobs, action.setError);
    }, 500);
    return () => clearTimeout(t);
  }, [client, jobs, action.setError]);

  const cancel = () => action.run(async () => run.set(await client.apps.runs.cancel(runId)));
  const rerun = (r: Run) =>
    action.run(async () => {
      const again = await client.apps.runs.create({
        ...(r.app_id ? { app_id: r.app_id } : {}),
        ...(r.batch_id !== null ? { batch_id: r.batch_id } : {}),
        ...(r.input_dir ? { input_dir: r.input_dir } : {}),
        ...(r.tags ? { settings: { tags: r.tags } } : {}),
      });
      navigate(`/runs/${encodeURIComponent(again.id)}`);
    });
  const remove = async (o: DeleteRunOptions): Promise<DeleteRunJobs | undefined> => {
    let answer: DeleteRunJobs | undefined;
    await action.run(async () => {
      answer = await client.apps.runs.delete(runId, o);
      setDeleting(false);
      // One job may delete several parts: each job once, with the parts it deletes.
      const byId = new Map<string, string[]>();
      for (const [part, id] of [
        ['input', answer.delete_input_dir_job_id],
        ['output', answer.delete_output_dir_job_id],
        ['logs', answer.delete_log_dir_job_id],
      ] as const) {
        if (id !== null) byId.set(id, [...(byId.get(id) ?? []), part]);
      }
      setJobs([...byId].map(([id, parts]) => ({ id, part: parts.join(', ') })));
    });
    return answer;
  };

  const r = run.value;
  return (
    <section aria-labelledby="run-title">
      <p>
        <Link to="/runs">← Runs</Link>
      </p>
      <h1 id="run-title">Run {runId}</h1>
      <ErrorMessage error={run.error} />
      {r && (
        <div className="panel">
          <p>
            Status: <StatusBadge status={r.status} /> <span className="msg">{r.msg}</span>
          </p>
          <p className="hint">
            Started {fromNanos(r.start_timestamp)} · finished {fromNanos(r.finish_timestamp)}
            {r.batch_id !== null ? ` · batch ${r.batch_id}` : ''}
            {r.deployment_id ? ` · deployment ${r.deployment_id}` : ''}
            {r.tags?.length ? ` · tags ${r.tags.join(', ')}` : ''}
          </p>
          <div className="actions">
            {(r.status === 'RUNNING' || r.status === 'STOPPED_AT_CHECKPOINT') && (
              <button type="button" onClick={() => void cancel()} disabled={action.busy}>
                Cancel run
              </button>
            )}
            {r.status === 'STOPPED_AT_CHECKPOINT' && (
              <Link to={`/review/${encodeURIComponent(runId)}`}>Review this run</Link>
            )}
            {FINISHED.has(r.status) && (
              <>
                <button type="button" onClick={() => void rerun(r)} disabled={action.busy}>
                  Run again
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() => setDeleting(true)}
                  disabled={action.busy || jobs !== undefined}
                >
                  Delete run…
                </button>
              </>
            )}
          </div>
          <ErrorMessage error={action.error} />
        </div>
      )}
      {deleting && (
        <DeleteRunForm runId={runId} onDelete={remove} onCancel={() => setDeleting(false)} />
      )}
      {jobs && (
        <div className="panel" aria-live="polite">
          <h2>Deletion</h2>
          {jobs.length === 0 && <p>Deleted.</p>}
          <ul>
            {jobs.map((j) => (
              <li key={j.id} data-testid="deletion-job">
                {j.part}: {j.status?.state ?? 'PENDING'}
                {j.status?.message ? ` — ${j.status.message}` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="two-col">
        <div>
          <h2>Timeline</h2>
          <ErrorMessage error={eventsError} />
          <ol className="timeline" aria-label="Timeline">
            {events
              .filter((e) => e.kind === 'status')
              .map((e) => (
                <li key={e.id}>
                  <StatusBadge status={statusOfState(String(e.data.state))} />{' '}
                  <span className="msg">
                    {String(e.data.state)}
                    {typeof e.data.msg === 'string' && e.data.msg ? `: ${e.data.msg}` : ''}
                  </span>
                </li>
              ))}
          </ol>
          <h2>Input files</h2>
          <ErrorMessage error={files.error} />
          <table aria-label="Input files">
            <TableHead columns={['File', 'Size', 'Outcome', 'Document']} />
            <tbody>
              {(files.value?.files ?? ([] as RunFile[])).map((f) => (
                <tr key={f.file_index}>
                  <td>{f.name}</td>
                  <td>{bytes(f.size)}</td>
                  <td>
                    {f.state}
                    {f.needs_review ? ' · to review' : ''}
                    {f.error ? <div className="alert">{f.error}</div> : null}
                    <div className="hint">
                      {f.finished_at_ms ? fromMillis(f.finished_at_ms) : ''}
                    </div>
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Show ${f.name}`}
                      aria-pressed={preview === f.file_index}
                      onClick={() =>
                        setPreview(preview === f.file_index ? undefined : f.file_index)
                      }
                    >
                      Show
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {preview !== undefined && (
            <DocumentPreview client={client} runId={runId} fileIndex={preview} />
          )}
        </div>
        <div>
          <h2>Results</h2>
          <ErrorMessage error={resultsError} />
          {resting ? (
            results ? (
              <ResultsTables files={results} />
            ) : (
              <p className="loading">Loading…</p>
            )
          ) : (
            <p className="hint">Results appear when the run has finished.</p>
          )}
        </div>
      </div>
      <h2>Log</h2>
      <ErrorMessage error={log.error} />
      <pre className="log" role="region" aria-label="Log" tabIndex={0}>
        {log.lines.join('\n')}
      </pre>
    </section>
  );
}

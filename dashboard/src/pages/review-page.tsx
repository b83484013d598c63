import { useState } from 'react';
import type { ReviewFileRequest } from '../../../client/src/index.js';
import { DocumentPreview } from '../review/document-preview.js';
import { ReviewEditor } from '../review/review-editor.js';
import { Link, navigate } from '../router.js';
import {
  ErrorMessage,
  fromNanos,
  isAdmin,
  TableHead,
  useAction,
  useAsync,
  useSession,
} from '../ui.js';

export default function ReviewPage({ runId }: { runId: string | undefined }) {
  return runId ? <ReviewRun runId={runId} /> : <ReviewQueue />;
}

/** Runs stopped at the checkpoint, oldest first: the reviewers' queue. */
function ReviewQueue() {
  const { client } = useSession();
  const runs = useAsync(
    () =>
      client.apps.runs.list({
        status: ['STOPPED_AT_CHECKPOINT'],
        from_timestamp: 0,
        limit: 200,
        order: 'ASCENDING',
      }),
    [client],
  );
  return (
    <section aria-labelledby="review-title">
      <h1 id="review-title">Review</h1>
      <ErrorMessage error={runs.error} />
      <table aria-label="Runs to review">
        <TableHead columns={['Run', 'Stopped', 'Why']} />
        <tbody>
          {(runs.value?.runs ?? []).map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/review/${encodeURIComponent(r.id)}`}>{r.id}</Link>
              </td>
              <td>{fromNanos(r.finish_timestamp ?? r.start_timestamp)}</td>
              <td className="msg">{r.msg}</td>
            </tr>
          ))}
          {runs.value?.runs.length === 0 && (
            <tr>
              <td colSpan={3}>Nothing to review.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function ReviewRun({ runId }: { runId: string }) {
  const { client, me } = useSession();
  const review = useAsync(() => client.review.get(runId), [client, runId]);
  const [at, setAt] = useState(0);
  const action = useAction();
  const files = review.value?.files ?? [];
  const file = files[Math.min(at, Math.max(0, files.length - 1))];
  const next = () => setAt((i) => Math.min(files.length - 1, i + 1));
  const previous = () => setAt((i) => Math.max(0, i - 1));

  const save = (body: ReviewFileRequest) =>
    void action.run(async () => {
      if (!file) return;
      await client.review.update(runId, file.file_index, body);
      review.reload();
      if (body.reviewed) {
        // On to the next file still to review, wrapping round to the first.
        const open = files.map((f, i) => (i !== at && !f.reviewed ? i : -1)).filter((i) => i >= 0);
        const after = open.find((i) => i > at) ?? open[0];
        if (after !== undefined) setAt(after);
      }
    });
  const resume = (force: boolean) =>
    void action.run(async () => {
      await client.review.resume(runId, force ? { force: true } : {});
      navigate(`/runs/${encodeURIComponent(runId)}`);
    });

  const r = review.value;
  const allReviewed = r !== undefined && r.files_reviewed >= r.files_to_review;
  return (
    <section aria-labelledby="review-title">
      <p>
        <Link to="/review">← Review queue</Link> ·{' '}
        <Link to={`/runs/${encodeURIComponent(runId)}`}>Run details</Link>
      </p>
      <h1 id="review-title">Review run {runId}</h1>
      <ErrorMessage error={review.error ?? action.error} />
      {r && (
        <div className="panel actions" aria-live="polite">
          <span>
            {r.files_reviewed} of {r.files_to_review} file(s) reviewed · status {r.status}
          </span>
          <button
            type="button"
            className="primary"
            disabled={!allReviewed || action.busy || r.status !== 'STOPPED_AT_CHECKPOINT'}
            onClick={() => resume(false)}
          >
            Resume run
          </button>
          {isAdmin(me) && !allReviewed && (
            <button type="button" disabled={action.busy} onClick={() => resume(true)}>
              Resume anyway (admin)
            </button>
          )}
        </div>
      )}
      {files.length > 0 && (
        <nav className="actions" aria-label="Files to review">
          {files.map((f, i) => (
            <button
              key={f.file_index}
              type="button"
              aria-current={file === f ? 'true' : undefined}
              onClick={() => setAt(i)}
            >
              {f.original_file_name}
              {f.reviewed ? ' ✓' : ''}
            </button>
          ))}
        </nav>
      )}
      {file && (
        <div className="review-layout">
          <DocumentPreview client={client} runId={runId} fileIndex={file.file_index} />
          <ReviewEditor
            key={`${file.file_index}-${file.reviewed_at_ms ?? 0}-${JSON.stringify(file.documents.map((d) => d.fields.map((x) => x.value)))}`}
            file={file}
            busy={action.busy}
            onSave={save}
            onNextFile={next}
            onPreviousFile={previous}
          />
        </div>
      )}
    </section>
  );
}

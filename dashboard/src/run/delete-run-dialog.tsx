import { useState, type FormEvent } from 'react';
import type { DeleteRunJobs, DeleteRunOptions } from '../../../client/src/index.js';

export const DELETE_PARTS = [
  { key: 'delete_db_data', label: 'The run record and its results' },
  { key: 'delete_input', label: 'Its input (the batch it processed)' },
  { key: 'delete_output', label: 'Its output files' },
  { key: 'delete_logs', label: 'Its logs' },
] as const satisfies readonly { key: keyof DeleteRunOptions; label: string }[];

/** The four parts a deletion may take, all chosen by default, and a confirmation. */
export function DeleteRunForm(props: {
  runId: string;
  onDelete(o: DeleteRunOptions): Promise<DeleteRunJobs | undefined>;
  onCancel: () => void;
}) {
  const [parts, setParts] = useState<Required<DeleteRunOptions>>({
    delete_db_data: true,
    delete_input: true,
    delete_output: true,
    delete_logs: true,
  });
  const [confirmed, setConfirmed] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void props.onDelete(parts);
  };
  return (
    <form className="panel stack" onSubmit={submit} aria-label="Delete run">
      <fieldset>
        <legend>Delete which parts of run {props.runId}?</legend>
        {DELETE_PARTS.map((p) => (
          <label key={p.key} className="choice">
            <input
              type="checkbox"
              checked={parts[p.key]}
              onChange={(e) => setParts({ ...parts, [p.key]: e.target.checked })}
            />
            {p.label}
          </label>
        ))}
      </fieldset>
      <label className="choice">
        <input
          type="checkbox"
          checked={confirmed}
          onChange={(e) => setConfirmed(e.target.checked)}
        />
        I understand this cannot be undone
      </label>
      <div className="actions">
        <button type="submit" className="danger" disabled={!confirmed}>
          Delete for good
        </button>
        <button type="button" onClick={props.onCancel}>
          Keep the run
        </button>
      </div>
    </form>
  );
}

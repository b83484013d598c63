import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ReviewFile, ReviewFileRequest } from '../../../client/src/index.js';
import { TableHead } from '../ui.js';
import { correctionsOf, fieldsOf } from './corrections.js';

export const SHORTCUTS = 'Enter: next field · Alt+N / Alt+P: next / previous file · Alt+A: approve';

/**
 * One file's fields to review: failing ones highlighted with their alerts, values edited in
 * place. Approve sends the changed values and marks the file reviewed; Save sends them only.
 */
export function ReviewEditor(props: {
  file: ReviewFile;
  busy?: boolean;
  onSave: (body: ReviewFileRequest) => void;
  onNextFile?: () => void;
  onPreviousFile?: () => void;
}) {
  const { file } = props;
  const fields = fieldsOf(file);
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [current, setCurrent] = useState(() =>
    Math.max(
      0,
      fields.findIndex((f) => f.failing),
    ),
  );
  const inputs = useRef<(HTMLInputElement | null)[]>([]);

  useEffect(() => {
    inputs.current[current]?.focus();
  }, [current]);

  const corrections = correctionsOf(file, edits);
  const approve = () => props.onSave({ corrections, reviewed: true });

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey && (e.key === 'a' || e.key === 'A')) {
      e.preventDefault();
      approve();
    } else if (e.altKey && (e.key === 'n' || e.key === 'N')) {
      e.preventDefault();
      props.onNextFile?.();
    } else if (e.altKey && (e.key === 'p' || e.key === 'P')) {
      e.preventDefault();
      props.onPreviousFile?.();
    }
  };

  return (
    <form
      className="panel stack"
      aria-label={`Fields of ${file.original_file_name}`}
      onKeyDown={onKeyDown}
      onSubmit={(e) => {
        e.preventDefault();
        approve();
      }}
    >
      <p className="hint">{SHORTCUTS}</p>
      <table>
        <TableHead columns={['Field', 'Value', 'Confidence']} />
        <tbody>
          {fields.map((f, i) => (
            <tr
              key={f.key}
              className={`field-row${f.failing ? ' invalid' : ''}${i === current ? ' current' : ''}`}
              data-failing={f.failing || undefined}
            >
              <th scope="row">
                {f.field.field_name}
                {file.documents.length > 1 ? (
                  <span className="hint"> (document {f.documentIndex + 1})</span>
                ) : null}
              </th>
              <td>
                <input
                  ref={(el) => {
                    inputs.current[i] = el;
                  }}
                  aria-label={`Value of ${f.field.field_name}`}
                  aria-invalid={f.failing || undefined}
                  aria-describedby={f.failing ? `alerts-${i}` : undefined}
                  aria-keyshortcuts="Enter Alt+N Alt+P Alt+A"
                  value={edits[f.key] ?? f.field.value}
                  onFocus={() => setCurrent(i)}
                  onChange={(e) => setEdits({ ...edits, [f.key]: e.target.value })}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && !e.altKey && !e.ctrlKey && !e.metaKey) {
                      e.preventDefault();
                      setCurrent((c) => Math.min(fields.length - 1, c + 1));
                    }
                  }}
                />
                {f.field.validations.alerts.length > 0 && (
                  <div id={`alerts-${i}`}>
                    {f.field.validations.alerts.map((a, j) => (
                      <div className="alert" key={j}>
                        {a.msg}
                      </div>
                    ))}
                  </div>
                )}
                {f.field.edit_history.length > 0 && (
                  <div className="hint">
                    edited by {f.field.edit_history.map((h) => h.user_id).join(', ')}
                  </div>
                )}
              </td>
              <td>{f.field.confidence === null ? '—' : f.field.confidence.toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button type="submit" className="primary" disabled={props.busy}>
          Approve file
        </button>
        <button
          type="button"
          disabled={props.busy || corrections.length === 0}
          onClick={() => props.onSave({ corrections })}
        >
          Save corrections
        </button>
        <span className="hint">
          {file.reviewed ? `Reviewed by ${file.reviewed_by ?? 'someone'}` : 'Not reviewed yet'}
          {corrections.length > 0 ? ` · ${corrections.length} unsaved change(s)` : ''}
        </span>
      </div>
    </form>
  );
}

import type { ResultFile } from '../../../client/src/index.js';
import { TableHead } from '../ui.js';

/** A run's results: per file, per document, each field with its confidence, alerts and edits. */
export function ResultsTables({ files }: { files: readonly ResultFile[] }) {
  if (files.length === 0) return <p className="hint">No results yet.</p>;
  return (
    <>
      {files.map((f) =>
        f.documents.map((d, di) => (
          <div className="table-wrap" key={`${f.original_file_name}-${di}`}>
            <table aria-label={`Results of ${f.original_file_name}, document ${di + 1}`}>
              <caption>
                {f.original_file_name} — document {di + 1}
                {d.class_name ? ` (${d.class_name})` : ''}
                {d.validations?.final_result_pass === false ? ' · failed validation' : ''}
              </caption>
              <TableHead columns={['Field', 'Value', 'Confidence', 'Validation', 'Edit history']} />
              <tbody>
                {d.fields.map((field) => {
                  const alerts = field.validations?.alerts ?? [];
                  return (
                    <tr
                      key={field.field_name}
                      className={field.validations?.valid === false ? 'invalid' : undefined}
                    >
                      <th scope="row">{field.field_name}</th>
                      <td>
                        {field.value}
                        {field.error_msg ? <div className="alert">{field.error_msg}</div> : null}
                      </td>
                      <td>
                        {field.confidence?.model === null || field.confidence?.model === undefined
                          ? '—'
                          : field.confidence.model.toFixed(2)}
                      </td>
                      <td>
                        {alerts.length === 0
                          ? field.validations?.valid === false
                            ? 'invalid'
                            : 'ok'
                          : alerts.map((a, i) => (
                              <div className="alert" key={i}>
                                {a.msg}
                              </div>
                            ))}
                      </td>
                      <td>
                        {(field.edit_history ?? []).map((h, i) => (
                          <div key={i} className="hint">
                            {h.user_id} at {new Date(h.timestamp).toLocaleString()}:{' '}
                            {h.modifications.map((m) => m.message).join('; ')}
                          </div>
                        ))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )),
      )}
    </>
  );
}

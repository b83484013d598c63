/**
 * Result field names as the AI Hub reference sanitises them into identifiers: existing
 * underscores are doubled, every other character outside [A-Za-z0-9] becomes one `_`, and a
 * name starting with a digit gets a leading `_`.
 *   "due date" → "due_date", "driver's license" → "driver_s_license",
 *   "3rd category" → "_3rd_category", "secret_id" → "secret__id".
 */
export function sanitiseFieldName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (ch === '_') out += '__';
    else if (/[A-Za-z0-9]/.test(ch)) out += ch;
    else out += '_';
  }
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

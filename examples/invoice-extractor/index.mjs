// invoice-extractor: one invoice per file (.txt, .csv or .pdf) → invoice number, date, vendor,
// total and currency. Runs offline: PDF text comes from pdf-text.mjs, no libraries needed.
import { extname } from 'node:path';
import { extractFields } from './extract.mjs';
import { pdfText } from './pdf-text.mjs';

/** A CSV invoice: a header row naming the fields, or `key,value` rows. Either way, as text. */
function csvText(csv) {
  const rows = csv
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map(csvRow);
  const header = rows[0] ?? [];
  if (rows.length >= 2 && header.length > 2) {
    return header.map((h, i) => `${h.replace(/_/g, ' ')}: ${rows[1][i] ?? ''}`).join('\n');
  }
  return rows.map((r) => `${r[0]}: ${r.slice(1).join(', ')}`).join('\n');
}

/** One CSV line into cells, honouring double quotes ("1,234.50" is one cell). */
function csvRow(line) {
  const cells = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

export default async function extractInvoice(file, ctx) {
  const ext = extname(file.name).toLowerCase();
  let text;
  if (ext === '.pdf') text = pdfText(await file.bytes());
  else if (ext === '.csv') text = csvText(await file.text());
  else if (ext === '.txt' || ext === '.text' || ext === '') text = await file.text();
  else throw new Error(`Unsupported file type ${ext}: send .txt, .csv or .pdf invoices.`);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  ctx.log(`read ${text.split('\n').length} lines of text from ${file.name}`);
  const fields = extractFields(text, ctx.keys.currency ?? 'EUR');
  const missing = ['invoice number', 'invoice date', 'vendor', 'total'].filter(
    (f) => !(f in fields),
  );
  if (missing.length) ctx.log(`not found: ${missing.join(', ')}`);
  return [{ class_name: 'Invoice', page_numbers: [1], fields }];
}

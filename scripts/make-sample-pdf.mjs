// Writes examples/invoice-extractor/samples/invoice-1003.pdf: a one-page PDF whose content
// stream is Flate-compressed, as ordinary PDF writers produce. Run: node scripts/make-sample-pdf.mjs
// (`textPdf` also makes the PDFs the tests upload.)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

/** A one-page PDF of text lines in Helvetica, its content stream Flate-compressed. */
export function textPdf(lines) {
  const text = ['BT', '/F1 12 Tf', '72 760 Td', '16 TL']
    .concat(lines.map((l, i) => `${i === 0 ? '' : 'T* '}(${l.replace(/[()\\]/g, '\\$&')}) Tj`))
    .concat(['ET'])
    .join('\n');
  const content = deflateSync(Buffer.from(text, 'latin1'));

  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const parts = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets = [];
  let size = parts[0].length;
  objects.forEach((body, i) => {
    offsets.push(size);
    const chunk =
      body === null
        ? Buffer.concat([
            Buffer.from(
              `${i + 1} 0 obj\n<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`,
              'latin1',
            ),
            content,
            Buffer.from('\nendstream\nendobj\n', 'latin1'),
          ])
        : Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1');
    parts.push(chunk);
    size += chunk.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`]
    .concat(offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`))
    .join('');
  parts.push(
    Buffer.from(
      `${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${size}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(parts);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(
    new URL('../examples/invoice-extractor/samples/invoice-1003.pdf', import.meta.url),
    textPdf([
      'Initech Consulting GmbH',
      'Invoice Number: INV-1003',
      'Invoice Date: 7 Sep 2026',
      'Bill To: Acme Corporation',
      'Consulting, 12 hours at 95.00',
      'Subtotal 1.140,00',
      'Total EUR 1.356,60',
    ]),
  );
}

// Text out of a PDF with no dependencies: inflate each content stream (zlib is in Node) and
// read the text-showing operators (Tj, TJ, ', "), starting a new line where the text matrix
// moves down. Enough for invoices made by ordinary PDF writers with standard fonts.
import { inflateSync } from 'node:zlib';

function streams(pdf) {
  const out = [];
  const bin = pdf.toString('latin1');
  const re = /<<([\s\S]*?)>>\s*stream\r?\n/g;
  for (let m; (m = re.exec(bin));) {
    const start = m.index + m[0].length;
    const end = bin.indexOf('endstream', start);
    if (end < 0) break;
    let data = pdf.subarray(start, end);
    if (/\/FlateDecode/.test(m[1])) {
      try {
        data = inflateSync(data);
      } catch {
        continue;
      }
    } else if (/\/Filter/.test(m[1])) {
      continue; // images and other encodings carry no text we can read
    }
    out.push(data.toString('latin1'));
    re.lastIndex = end;
  }
  return out;
}

function unescape(s) {
  return s.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, c) => {
    const map = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '(': '(', ')': ')', '\\': '\\' };
    return map[c] ?? String.fromCharCode(parseInt(c, 8));
  });
}

const hex = (h) =>
  Buffer.from(h.replace(/\s+/g, '').padEnd(Math.ceil(h.length / 2) * 2, '0'), 'hex').toString(
    'latin1',
  );

/** The text of every content stream, one line per text line. */
export function pdfText(pdf) {
  const lines = [];
  for (const content of streams(pdf)) {
    if (!/\bBT\b/.test(content)) continue;
    let line = '';
    const flush = () => {
      if (line.trim()) lines.push(line.trim());
      line = '';
    };
    const token =
      /\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|\[(?:\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|[^\]])*\]|-?\d*\.?\d+|\/\S+|[A-Za-z'"*]+/g;
    const stack = [];
    for (let m; (m = token.exec(content));) {
      const t = m[0];
      if (t === 'Tj' || t === "'" || t === '"') {
        if (t !== 'Tj') flush();
        line += stack.pop() ?? '';
        stack.length = 0;
      } else if (t === 'TJ') {
        const arr = stack.pop() ?? [];
        for (const part of arr) line += typeof part === 'number' ? (part < -200 ? ' ' : '') : part;
        stack.length = 0;
      } else if (t === 'Td' || t === 'TD') {
        const ty = Number(stack.pop());
        stack.pop();
        if (ty !== 0) flush();
        stack.length = 0;
      } else if (t === 'T*' || t === 'ET') {
        flush();
        stack.length = 0;
      } else if (t === 'Tm') {
        flush();
        stack.length = 0;
      } else if (t.startsWith('(')) stack.push(unescape(t.slice(1, -1)));
      else if (t.startsWith('<')) stack.push(hex(t.slice(1, -1)));
      else if (t.startsWith('[')) {
        const parts = [];
        const inner = /\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|-?\d*\.?\d+/g;
        for (let p; (p = inner.exec(t.slice(1, -1)));) {
          const v = p[0];
          parts.push(
            v.startsWith('(')
              ? unescape(v.slice(1, -1))
              : v.startsWith('<')
                ? hex(v.slice(1, -1))
                : Number(v),
          );
        }
        stack.push(parts);
      } else if (/^-?\d*\.?\d+$/.test(t)) stack.push(t);
      else stack.length = 0;
    }
    flush();
  }
  return lines.join('\n');
}

import { RunboxError } from '../contract/errors.js';

/**
 * Parses a single HTTP byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) against a file size.
 * Returns undefined for no header or another unit; throws range-not-satisfiable for a bytes range
 * that is malformed or that the file can't serve.
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (header === undefined || header === '') return undefined;
  // A range unit other than bytes is ignored, and the whole file served (RFC 9110 §14.2).
  if (!/^\s*bytes=/i.test(header)) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = () =>
    new RunboxError(
      'range-not-satisfiable',
      `Range ${header} cannot be served from ${size} bytes.`,
      {
        headers: { 'Content-Range': `bytes */${size}` },
      },
    );
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable();
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) throw unsatisfiable();
  return { start, end };
}

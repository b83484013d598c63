import { invalidInput } from '../contract/errors.js';

/** Opaque cursor for keyset pages: base64url JSON of the last key of the previous page. */
export function encodePageToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string, field = 'start_token'): string {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (v && typeof v === 'object' && typeof (v as { after?: unknown }).after === 'string') {
      return (v as { after: string }).after;
    }
  } catch {
    // fall through
  }
  throw invalidInput(`${field} is not a token this server issued.`);
}

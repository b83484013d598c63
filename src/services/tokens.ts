import { createHash } from 'node:crypto';

export const TOKEN_PREFIX = 'rbx_';
/** 32 random bytes: the token's entropy; the prefix only helps people and secret scanners. */
export const TOKEN_BYTES = 32;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

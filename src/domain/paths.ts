import { invalidInput } from '../contract/errors.js';
import { checkFileName } from './names.js';

/** The drive every workspace has. */
export const DEFAULT_DRIVE = 'Runbox Drive';
export const DRIVES: readonly string[] = [DEFAULT_DRIVE];
const MAX_PATH_LENGTH = 4096;

/** `<org>/<workspace>/fs/<drive>/<folder…>/<file>`, parsed and checked. */
export interface WorkspacePath {
  org: string;
  workspace: string;
  drive: string;
  /** Segments below the drive root; empty for the root itself. */
  segments: string[];
}

/**
 * Parses a path with or without a leading slash. Every segment is checked like a file name,
 * so `..`, `.`, empty segments, backslashes, NUL and control characters are refused before
 * anything touches storage. (Percent-encoding was already decoded once by the router; what
 * decodes to `..` is refused here.)
 */
export function parseWorkspacePath(raw: string): WorkspacePath {
  if (raw.length > MAX_PATH_LENGTH) {
    throw invalidInput(`path must be at most ${MAX_PATH_LENGTH} characters.`);
  }
  let path = raw.startsWith('/') ? raw.slice(1) : raw;
  if (path.endsWith('/')) path = path.slice(0, -1);
  const parts = path.split('/');
  for (const p of parts) checkFileName(p, 'path segment');
  const [org, workspace, fs, drive, ...segments] = parts;
  if (org === undefined || workspace === undefined || fs !== 'fs' || drive === undefined) {
    throw invalidInput('path must look like <org>/<workspace>/fs/<drive>/<folder>/<file>.');
  }
  if (!DRIVES.includes(drive)) {
    throw invalidInput(`Unknown drive "${drive}"; this server has "${DEFAULT_DRIVE}".`);
  }
  return { org, workspace, drive, segments };
}

export function formatWorkspacePath(p: WorkspacePath): string {
  return [p.org, p.workspace, 'fs', p.drive, ...p.segments].join('/');
}

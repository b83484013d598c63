import { invalidInput } from '../contract/errors.js';

export const MAX_NAME_LENGTH = 255;

// Control characters (C0, DEL, C1) are refused in every name and path segment.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A file name inside a batch or a folder: one path segment. Refuses what could escape a folder
 * or confuse a filesystem: separators, `.`/`..`, NUL and control characters, over-long names.
 */
export function checkFileName(name: string, field = 'filename'): string {
  if (name.length === 0) throw invalidInput(`${field} must not be empty.`);
  if (name.length > MAX_NAME_LENGTH) {
    throw invalidInput(`${field} must be at most ${MAX_NAME_LENGTH} characters.`);
  }
  if (name === '.' || name === '..') throw invalidInput(`${field} must not be "." or "..".`);
  if (name.includes('/') || name.includes('\\')) {
    throw invalidInput(`${field} must not contain "/" or "\\".`);
  }
  if (CONTROL.test(name)) throw invalidInput(`${field} must not contain control characters.`);
  return name;
}

/** Display names of batches and the like: free text, bounded, no control characters. */
export function checkDisplayName(name: string, field = 'name'): string {
  if (name.trim().length === 0) throw invalidInput(`${field} must not be empty.`);
  if (name.length > MAX_NAME_LENGTH) {
    throw invalidInput(`${field} must be at most ${MAX_NAME_LENGTH} characters.`);
  }
  if (CONTROL.test(name)) throw invalidInput(`${field} must not contain control characters.`);
  return name;
}

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** Org and user ids: they appear in paths, so they are plain. */
export function checkIdentifier(id: string, field: string): string {
  if (!IDENTIFIER.test(id)) {
    throw invalidInput(
      `${field} must start with a letter or digit and contain only letters, digits, ".", "_", "@" and "-" (at most 128).`,
    );
  }
  return id;
}

const WORKSPACE = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,127}$/;

export function checkWorkspaceName(name: string, field = 'workspace'): string {
  if (!WORKSPACE.test(name)) {
    throw invalidInput(
      `${field} must start with a letter or digit and contain only letters, digits, spaces, ".", "_", "@" and "-" (at most 128).`,
    );
  }
  return name;
}

export { CONTROL as CONTROL_CHARACTERS };

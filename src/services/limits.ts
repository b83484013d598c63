/** Configurable limits (SPEC §6), with the defaults the spec names. */
export interface Limits {
  /** Largest single file, uploaded whole or in parts. */
  maxFileBytes: number;
  /** Part size handed out for multipart uploads (the last part may be smaller). */
  partBytes: number;
  /** Most input files one run may have. */
  maxRunFiles: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 50 * 1000 * 1000,
  partBytes: 10 * 1024 * 1024,
  maxRunFiles: 1000,
};

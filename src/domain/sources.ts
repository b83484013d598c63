/**
 * Time, ids and randomness come from here so tests can pin them. The composition root passes
 * the system implementations; a test may pass its own.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export interface IdSource {
  /** A random UUID (v4). */
  uuid(): string;
  /** `bytes` random bytes, base64url-encoded. */
  randomToken(bytes: number): string;
}

export interface Sources {
  clock: Clock;
  ids: IdSource;
}

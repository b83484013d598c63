/**
 * The one error catalogue. Every error a client can see has a type from this list; the HTTP
 * status of each type is fixed here and nowhere else. Adding a type without a status does not
 * compile (the map is `Record<ErrorType, number>`).
 */
export const ERROR_TYPES = [
  'invalid-input',
  'token-not-provided',
  'token-not-valid',
  'permission-denied',
  'record-not-found',
  'method-not-allowed',
  'run-not-finished',
  'conflict',
  'precondition-failed',
  'payload-too-large',
  'range-not-satisfiable',
  'rate-limit-exceeded',
  'internal-error',
  'unavailable',
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

export const ERROR_STATUS: Record<ErrorType, number> = {
  'invalid-input': 400,
  'token-not-provided': 401,
  'token-not-valid': 401,
  'permission-denied': 403,
  'record-not-found': 404,
  'method-not-allowed': 405,
  'run-not-finished': 409,
  conflict: 409,
  'precondition-failed': 412,
  'payload-too-large': 413,
  'range-not-satisfiable': 416,
  'rate-limit-exceeded': 429,
  'internal-error': 500,
  unavailable: 503,
};

/** A failure the client caused or may see; rendered by each dialect in its own envelope. */
export class RunboxError extends Error {
  readonly type: ErrorType;
  readonly status: number;
  /** Extra response headers (`Allow`, `Retry-After`, …). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    type: ErrorType,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RunboxError';
    this.type = type;
    this.status = ERROR_STATUS[type];
    this.headers = options.headers ?? {};
  }
}

export const invalidInput = (message: string) => new RunboxError('invalid-input', message);
export const notFound = (what: string) => new RunboxError('record-not-found', `${what} not found.`);
export const conflict = (message: string) => new RunboxError('conflict', message);
export const permissionDenied = (message: string) => new RunboxError('permission-denied', message);
export const payloadTooLarge = (message: string) => new RunboxError('payload-too-large', message);

export function isRunboxError(err: unknown): err is RunboxError {
  return err instanceof RunboxError;
}

/** The thing asked for is not there (a record, a stored file). */
export function isNotFound(err: unknown): err is RunboxError {
  return isRunboxError(err) && err.type === 'record-not-found';
}

/** The database or the file storage could not be reached: worth trying again, nobody's fault. */
export function isUnavailable(err: unknown): err is RunboxError {
  return isRunboxError(err) && err.type === 'unavailable';
}

import { invalidInput, notFound, RunboxError } from '../contract/errors.js';

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** Answers S3 gives when it is overloaded or timed out, whatever their HTTP status. */
const TRANSIENT = new Set([
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'TimeoutError',
  'ThrottlingException',
  'RequestTimeoutException',
]);

export function s3Status(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

export function s3ErrorName(err: unknown): string | undefined {
  return (err as SdkError | undefined)?.name;
}

/**
 * Translates an S3 SDK error into what `LocalBlobs` would throw for the same case: a missing
 * object or upload is record-not-found; an unreachable, stalled or overloaded service is
 * unavailable (503, the client may retry); anything else (access denied, no such bucket) is a
 * configuration fault and stays an internal error, with the SDK error as its cause.
 */
export function fromS3(err: unknown, what: string): Error {
  if (err instanceof RunboxError) return err;
  const e = (err ?? {}) as SdkError;
  switch (e.name) {
    case 'NoSuchKey':
    case 'NotFound':
      return notFound(what);
    case 'NoSuchUpload':
      return notFound('Upload');
    case 'InvalidRange':
      return new RunboxError('range-not-satisfiable', 'The range is outside the file.', {
        cause: err,
      });
    case 'InvalidPart':
    case 'InvalidPartOrder':
    case 'EntityTooSmall':
      return invalidInput(`The storage refused the parts: ${e.message ?? e.name}`);
  }
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined || status >= 500 || status === 429 || TRANSIENT.has(e.name ?? '')) {
    return new RunboxError('unavailable', 'The file storage is unavailable; try again.', {
      headers: { 'Retry-After': '1' },
      cause: err,
    });
  }
  return new Error(`The file storage refused the request (${e.name ?? status}): ${e.message}`, {
    cause: err,
  });
}

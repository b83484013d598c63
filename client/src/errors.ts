/** Every failed call: the server's error type and message, the HTTP status, the request id. */
export class RunboxError extends Error {
  override readonly name = 'RunboxError';
  constructor(
    /**
     * HTTP status; 0 when no response came into it: the server could not be reached
     * (`network-error`), a wait ran out of time (`timeout`), or the SDK refused the call before
     * sending it (`invalid-input`).
     */
    readonly status: number,
    /** The server's error type (`record-not-found`, `invalid-input`, …), or `network-error`. */
    readonly type: string,
    message: string,
    /** The server's `X-Request-Id`, to find the request in its logs. */
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A wait (`runs.wait`, `jobs.wait`) that ran out of time. */
export class RunboxTimeoutError extends RunboxError {
  constructor(what: string, ms: number) {
    super(0, 'timeout', `${what} did not finish within ${ms} ms.`);
  }
}

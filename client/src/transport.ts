import { ENDPOINTS, pathOf, type OperationId } from './endpoints.js';
import { RunboxError } from './errors.js';

export interface RunboxOptions {
  /** The API root, e.g. `http://localhost:8080/api`. */
  apiRoot: string;
  token: string;
  /** The org to act in (`IB-Context`); default: the user's personal context. */
  context?: string | undefined;
  /** Retries of a 429 or of a dropped connection (idempotent calls only). Default 3. */
  maxRetries?: number | undefined;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch | undefined;
}

/** What `fetch` takes as a body. */
export type RequestBody = NonNullable<RequestInit['body']>;

export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** A function giving the body afresh, called for each attempt (a file read again). */
export type BodyFactory = () => Promise<RequestBody>;

export interface RequestOptions {
  query?: Query | undefined;
  json?: unknown;
  /**
   * A raw body. A stream is sent once and never retried; a factory (or anything else) may be
   * sent again.
   */
  body?: RequestBody | BodyFactory | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** Safe to send twice (GET, PUT, DELETE, or a POST with an idempotency key). */
  idempotent?: boolean | undefined;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

/** How long a 429 asks to wait: `Retry-After` seconds (or a date), capped at a minute. */
function retryAfterMs(res: Response, attempt: number): number {
  const h = res.headers.get('retry-after');
  const seconds = h === null ? NaN : Number(h);
  if (Number.isFinite(seconds)) return Math.min(60_000, Math.max(0, seconds * 1000));
  const date = h === null ? NaN : Date.parse(h);
  if (Number.isFinite(date)) return Math.min(60_000, Math.max(0, date - Date.now()));
  return Math.min(60_000, 500 * 2 ** attempt);
}

/** One HTTP client for every resource: auth headers, query strings, retries, typed errors. */
export class Transport {
  readonly apiRoot: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;

  constructor(private readonly opts: RunboxOptions) {
    this.apiRoot = opts.apiRoot.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.maxRetries = opts.maxRetries ?? 3;
  }

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) params.append(k, x);
      else params.append(k, String(v));
    }
    const qs = params.toString();
    return `${this.apiRoot}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Sends a request and returns the response when it is 2xx; anything else throws RunboxError. */
  async send(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.opts.token}`,
      ...(this.opts.context ? { 'ib-context': this.opts.context } : {}),
      ...(o.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...o.headers,
    };
    const fresh = typeof o.body === 'function' ? o.body : undefined;
    const given =
      o.json !== undefined ? JSON.stringify(o.json) : (o.body as RequestBody | undefined);
    const replayable = fresh !== undefined || !isStream(given);
    const idempotent = o.idempotent ?? IDEMPOTENT_METHODS.has(method);
    for (let attempt = 0; ; attempt++) {
      const body = fresh ? await fresh() : given;
      let res: Response;
      try {
        res = await this.fetchImpl(this.url(path, o.query), {
          method,
          headers,
          body: body ?? null,
          signal: o.signal ?? null,
          // A streamed request body (Node's fetch requires saying so).
          ...(isStream(body) ? { duplex: 'half' } : {}),
        });
      } catch (err) {
        if (o.signal?.aborted) throw err;
        if (idempotent && replayable && attempt < this.maxRetries) {
          await sleep(200 * 2 ** attempt, o.signal);
          continue;
        }
        throw new RunboxError(
          0,
          'network-error',
          `Could not reach ${this.apiRoot}: ${describe(err)}`,
          undefined,
          { cause: err },
        );
      }
      if (res.ok) return res;
      if (res.status === 429 && replayable && attempt < this.maxRetries) {
        await res.body?.cancel();
        await sleep(retryAfterMs(res, attempt), o.signal);
        continue;
      }
      throw await toError(res);
    }
  }

  /** Calls an operation by its server `operationId`, with its path parameters. */
  call(
    op: OperationId,
    params: Record<string, string | number> = {},
    o: RequestOptions = {},
  ): Promise<Response> {
    return this.send(ENDPOINTS[op][0], pathOf(op, params), o);
  }

  /** `call` and read the JSON body (undefined when there is none). */
  async callJson<T>(
    op: OperationId,
    params: Record<string, string | number> = {},
    o: RequestOptions = {},
  ): Promise<T> {
    return this.json<T>(ENDPOINTS[op][0], pathOf(op, params), o);
  }

  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, o);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

const isStream = (body: unknown): body is ReadableStream =>
  typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;

async function toError(res: Response): Promise<RunboxError> {
  const requestId = res.headers.get('x-request-id') ?? undefined;
  const text = await res.text().catch(() => '');
  let type = `http-${res.status}`;
  let message = text || res.statusText || `HTTP ${res.status}`;
  try {
    const body = JSON.parse(text) as { type?: unknown; message?: unknown };
    if (typeof body.type === 'string') type = body.type;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: the text is the message
  }
  return new RunboxError(res.status, type, message, requestId);
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? 'unknown error';
}

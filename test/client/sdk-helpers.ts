/**
 * For the SDK suite: a Runbox client talking to a harness over a real socket with the global
 * fetch, fetch wrappers that record or break requests the way a network would, and a port
 * nothing listens on.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Runbox, type RunboxOptions } from '../../client/src/index.js';
import type { Harness } from '../helpers/harness.js';
import { listen } from '../runs/run-helpers.js';

const ports = new WeakMap<Harness, number>();

/** The harness's API root over a real socket (listening on first use). */
export async function apiRoot(h: Harness): Promise<string> {
  let port = ports.get(h);
  if (port === undefined) {
    port = await listen(h);
    ports.set(h, port);
  }
  return `http://127.0.0.1:${port}/api`;
}

/** A client of the harness as `token` (alice by default). */
export async function client(
  h: Harness,
  token: string = h.tokens.alice,
  options: Partial<RunboxOptions> = {},
): Promise<Runbox> {
  return new Runbox({ apiRoot: await apiRoot(h), token, ...options });
}

/** One request as the SDK sent it, and what came of it. */
export interface Sent {
  method: string;
  /** The path and query after the API root's origin, e.g. `/api/v2/batches?limit=1`. */
  path: string;
  status: number | 'threw';
  headers: Headers | undefined;
}

/**
 * A fetch that delegates to the global one and records every request. `intercept` may answer a
 * request itself (return a Response or throw); returning undefined passes it on.
 */
export function recordingFetch(
  intercept: (
    req: { method: string; path: string; index: number },
    real: () => Promise<Response>,
  ) => Promise<Response | undefined> | Response | undefined = () => undefined,
): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const wrapped = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
    );
    const method = init?.method ?? 'GET';
    const path = url.pathname + url.search;
    const entry: Sent = { method, path, status: 'threw', headers: undefined };
    sent.push(entry);
    const real = () => fetch(input, init);
    try {
      const res =
        (await intercept({ method, path, index: sent.length - 1 }, real)) ?? (await real());
      entry.status = res.status;
      entry.headers = res.headers;
      return res;
    } catch (err) {
      entry.status = 'threw';
      throw err;
    }
  };
  return { fetch: wrapped, sent };
}

/** What undici throws when the connection drops: `TypeError: fetch failed` caused by a reset. */
export function connectionReset(): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  });
}

/** A local port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) =>
    server.close((err) => (err ? reject(err) : resolve())),
  );
  return port;
}

/** Collects an async iterable into an array. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Deterministic bytes of any length (a different pattern per `seed`). */
export function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** `data` as an async iterable of chunks of uneven sizes (never aligned to a part). */
export async function* chunked(data: Uint8Array, chunk = 65_537): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += chunk) yield data.slice(i, i + chunk);
}

/** A promise and the function that resolves it. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Delivers one webhook event: a signed JSON POST to a user-configured URL, made once, with no
 * retries (the caller decides about those).
 *
 * The URL comes from a user, so the delivery is careful about where it connects: the host is
 * resolved here, every address it resolves to is checked against the address policy, and the
 * connection goes to the checked address (a DNS answer cannot change between check and
 * connect). Redirects are never followed, no proxy from the environment is used, and the request
 * carries nothing but the event and its signature.
 *
 * Receivers verify the `runbox-signature` header (`t=<unix seconds>,v1=<hex HMAC-SHA256>` of
 * `${t}.${body}`) with the shared secret, as `verifySignature` does.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress } from './address-policy.js';

/** The request header carrying `t=<unix seconds>,v1=<hex signature>`. */
export const SIGNATURE_HEADER = 'runbox-signature';

/** How far a signature's timestamp may be from the receiver's clock, by default. */
const DEFAULT_TOLERANCE_SECONDS = 300;

/** At most this much of a response body is read (and discarded); the rest is cut off. */
const MAX_RESPONSE_BYTES = 64 * 1024;

const USER_AGENT = 'Runbox-Webhooks/1';

/** Headers a target's own headers may not set (lower case). */
const RESERVED_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'user-agent',
  'runbox-event-id',
  'runbox-event-type',
  'runbox-timestamp',
  SIGNATURE_HEADER,
]);

/** One event to deliver. */
export interface WebhookEvent {
  id: string;
  type: string;
  /** JSON text, sent as it is. */
  body: string;
  /** Extra headers the target asked for; they never replace the delivery's own. */
  headers?: Record<string, string> | undefined;
}

/** How one delivery attempt is made. */
export interface DeliveryOptions {
  /** Bounds the whole attempt: DNS, connect, request and response. */
  timeoutMs: number;
  /** When false, a URL whose host is or resolves to a non-public address is refused. */
  allowPrivateNetworks: boolean;
  /** The signing timestamp, in unix seconds. */
  nowSeconds: number;
}

/** The outcome of one attempt: a 2xx status is success, anything else a failure. */
export type DeliveryResult =
  { ok: true; status: number } | { ok: false; status?: number; error: string };

/** Hex HMAC-SHA256 of `${timestamp}.${body}` with the secret. */
export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The signature header value, `t=<unix seconds>,v1=<hex signature>`. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${sign(secret, timestamp, body)}`;
}

/**
 * Verifies a signature header against the raw body, for receivers and tests. False when the
 * header is malformed, its timestamp is more than `toleranceSeconds` from `nowSeconds` (either
 * way), or no `v1` signature matches; signatures are compared in constant time.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, parsed.timestamp, body), 'hex');
  // Every candidate is compared, so the time taken does not tell which one matched.
  return parsed.signatures
    .map((hex) => timingSafeEqual(Buffer.from(hex, 'hex'), expected))
    .some((match) => match);
}

/** The timestamp and `v1` signatures of a header; undefined when it is malformed. */
function parseSignatureHeader(
  header: string,
): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/**
 * Checks a webhook URL when it is configured: an absolute http or https URL with a host and no
 * credentials. Returns an error message, or undefined when the URL is acceptable. Whether the
 * host is a private address is decided at delivery time, by `deliver`.
 */
export function checkWebhookUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'webhook URL is not a valid absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `webhook URL must use http or https, not ${parsed.protocol}`;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'webhook URL must not contain credentials (user:password@)';
  }
  if (parsed.hostname === '') return 'webhook URL has no host';
  return undefined;
}

/**
 * POSTs the event to `url` once, signed with `secret`. Never throws for network problems, a
 * refused address or a timeout: they are a failed result. Redirects are not followed.
 */
export async function deliver(
  url: string,
  secret: string | undefined,
  event: WebhookEvent,
  opts: DeliveryOptions,
): Promise<DeliveryResult> {
  const problem = checkWebhookUrl(url);
  if (problem) return { ok: false, error: problem };
  const target = new URL(url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  try {
    return await attempt(target, secret, event, opts, controller.signal);
  } catch (err) {
    if (controller.signal.aborted)
      return { ok: false, error: `timed out after ${opts.timeoutMs} ms` };
    return { ok: false, error: describeError(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves and checks the host, then posts to the checked address. */
async function attempt(
  target: URL,
  secret: string | undefined,
  event: WebhookEvent,
  opts: DeliveryOptions,
  signal: AbortSignal,
): Promise<DeliveryResult> {
  const host = hostnameOf(target);
  const resolved = await untilAborted(resolveHost(host, opts.allowPrivateNetworks), signal);
  if ('error' in resolved) return { ok: false, error: resolved.error };
  const timestamp = Math.floor(opts.nowSeconds);
  const headers = requestHeaders(target, secret, event, timestamp);
  return post(target, resolved, headers, event.body, signal);
}

/** An address to connect to. */
interface Address {
  address: string;
  family: number;
}

/**
 * The address to connect to for `host` (a name or an IP literal): the first one it resolves to.
 * Unless private networks are allowed, refused when ANY address it resolves to is not public,
 * so a name cannot smuggle a private address in behind a public one.
 */
async function resolveHost(
  host: string,
  allowPrivateNetworks: boolean,
): Promise<Address | { error: string }> {
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookupAll(host);
  if (!Array.isArray(addresses)) return addresses;
  const [first] = addresses;
  if (!first) return { error: `could not resolve ${host}: no addresses` };
  if (!allowPrivateNetworks) {
    const refused = addresses.find((a) => classifyAddress(a.address) !== 'public');
    if (refused) return { error: refusal(host, refused.address) };
  }
  return first;
}

/** All addresses of a host name, or an error when it does not resolve. */
async function lookupAll(host: string): Promise<Address[] | { error: string }> {
  try {
    return await dnsLookup(host, { all: true });
  } catch (err) {
    return { error: `could not resolve ${host}: ${describeError(err)}` };
  }
}

function refusal(host: string, address: string): string {
  const kind = classifyAddress(address);
  const where = host === address ? address : `${host} resolves to ${address}, which`;
  return `refused: ${where} is a private network address (${kind}); private networks are not allowed`;
}

/** The URL's host name, without the brackets of an IPv6 literal. */
function hostnameOf(target: URL): string {
  return target.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Exactly the headers a delivery sends: nothing of the server's own credentials. */
function requestHeaders(
  target: URL,
  secret: string | undefined,
  event: WebhookEvent,
  timestamp: number,
): Record<string, string> {
  const extra = Object.fromEntries(
    Object.entries(event.headers ?? {}).filter(([k]) => !RESERVED_HEADERS.has(k.toLowerCase())),
  );
  return {
    ...extra,
    host: target.host,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(event.body)),
    'user-agent': USER_AGENT,
    'runbox-event-id': event.id,
    'runbox-event-type': event.type,
    'runbox-timestamp': String(timestamp),
    // Unsigned only for a run's own webhook outside a deployment (there is no shared secret).
    ...(secret !== undefined
      ? { [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, event.body) }
      : {}),
  };
}

/**
 * Sends the POST to `address`, keeping the original host for the Host header and TLS, and
 * settles with the outcome once the response body has been drained (up to the cap). Rejects on
 * a network error or abort before a response arrives.
 */
function post(
  target: URL,
  address: Address,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<DeliveryResult> {
  return new Promise((resolve, reject) => {
    const req = send(target, address, headers, signal);
    let status: number | undefined;
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      const outcome = outcomeOf(status);
      drain(res, () => resolve(outcome));
    });
    req.on('error', (err) => {
      // After the response has arrived, the outcome is known whatever happens to the body.
      if (status === undefined) reject(err);
      else resolve(outcomeOf(status));
    });
    req.end(body);
  });
}

/** Starts the request: no agent (so no pooling and no proxy) and the pinned address. */
function send(target: URL, address: Address, headers: Record<string, string>, signal: AbortSignal) {
  const host = hostnameOf(target);
  const https = target.protocol === 'https:';
  const options: RequestOptions & { servername?: string } = {
    method: 'POST',
    hostname: host,
    port: target.port === '' ? (https ? 443 : 80) : Number(target.port),
    path: `${target.pathname}${target.search}`,
    headers,
    agent: false,
    lookup: pinnedLookup(address),
    signal,
  };
  // SNI carries the host name; it must not be an IP address.
  if (https && isIP(host) === 0) options.servername = host;
  return (https ? httpsRequest : httpRequest)(options);
}

/** A lookup that always answers with the checked address, whatever name it is asked about. */
function pinnedLookup({ address, family }: Address): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** Reads and discards the response body, stopping after MAX_RESPONSE_BYTES; then `done`. */
function drain(res: IncomingMessage, done: () => void): void {
  let received = 0;
  res.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_RESPONSE_BYTES) res.destroy();
  });
  res.on('error', () => {}); // a broken or cut-off body does not change the outcome
  res.on('close', done);
}

function outcomeOf(status: number): DeliveryResult {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status >= 300 && status < 400) {
    return { ok: false, status, error: `HTTP ${status} (redirects are not followed)` };
  }
  return { ok: false, status, error: `HTTP ${status}` };
}

/** Rejects with the abort reason as soon as `signal` aborts, otherwise settles like `promise`. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return err.message || code || err.name;
  }
  return String(err);
}

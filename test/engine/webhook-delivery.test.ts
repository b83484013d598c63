import { lookup } from 'node:dns/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  classifyAddress,
  isPrivateAddress,
  type AddressKind,
} from '../../src/engine/webhooks/address-policy.js';
import {
  SIGNATURE_HEADER,
  checkWebhookUrl,
  deliver,
  sign,
  signatureHeader,
  verifySignature,
  type DeliveryOptions,
  type WebhookEvent,
} from '../../src/engine/webhooks/webhook-delivery.js';

// The real resolver, wrapped so single tests can answer for made-up host names.
vi.mock('node:dns/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns/promises')>();
  return { ...actual, lookup: vi.fn(actual.lookup) };
});
const lookupMock = vi.mocked(lookup);

/** Makes the next resolutions answer with `addresses`, one answer per call. */
function resolveTo(...answers: string[][]): void {
  for (const addresses of answers) {
    const records = addresses.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    lookupMock.mockImplementationOnce((async () => records) as unknown as typeof lookup);
  }
}

const SECRET = 'whsec_test';
const NOW = 1_700_000_000;
const EVENT: WebhookEvent = {
  id: 'evt_123',
  type: 'run.succeeded',
  body: JSON.stringify({ runId: 'run_1', status: 'SUCCEEDED', note: 'héllo' }),
};

function options(overrides: Partial<DeliveryOptions> = {}): DeliveryOptions {
  return { timeoutMs: 5_000, allowPrivateNetworks: true, nowSeconds: NOW, ...overrides };
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  port: number;
  url: string;
  requests: Received[];
  connections: number;
}

type Respond = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

/** A real HTTP server on 127.0.0.1 that records what it receives, then answers with `respond`. */
async function receiver(respond: Respond = (_req, res) => res.end('thanks')): Promise<Receiver> {
  const server = createServer();
  servers.push(server);
  const rec: Receiver = { port: 0, url: '', requests: [], connections: 0 };
  server.on('connection', () => rec.connections++);
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      rec.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
      });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.port = (server.address() as AddressInfo).port;
  rec.url = `http://127.0.0.1:${rec.port}`;
  return rec;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
  lookupMock.mockReset();
  vi.unstubAllEnvs();
});

describe('signatures', () => {
  it('signs `${timestamp}.${body}` with HMAC-SHA256 as hex', () => {
    expect(sign(SECRET, NOW, '{"a":1}')).toBe(
      '38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789',
    );
  });

  it('formats the header as t=<seconds>,v1=<hex>', () => {
    expect(signatureHeader(SECRET, NOW, '{"a":1}')).toBe(
      `t=${NOW},v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789`,
    );
  });

  const header = signatureHeader(SECRET, NOW, EVENT.body);

  it('verifies a genuine header within the tolerance', () => {
    expect(verifySignature(SECRET, header, EVENT.body, NOW)).toBe(true);
    expect(verifySignature(SECRET, header, EVENT.body, NOW + 300)).toBe(true);
    expect(verifySignature(SECRET, header, EVENT.body, NOW - 300)).toBe(true);
  });

  it('fails with a wrong secret, a changed body, or a timestamp out of tolerance', () => {
    expect(verifySignature('whsec_other', header, EVENT.body, NOW)).toBe(false);
    expect(verifySignature(SECRET, header, `${EVENT.body} `, NOW)).toBe(false);
    expect(verifySignature(SECRET, header, EVENT.body, NOW + 301)).toBe(false);
    expect(verifySignature(SECRET, header, EVENT.body, NOW - 301)).toBe(false);
    expect(verifySignature(SECRET, header, EVENT.body, NOW + 60, 30)).toBe(false);
  });

  it('fails when the timestamp in the header was changed', () => {
    const forged = header.replace(`t=${NOW}`, `t=${NOW + 1}`);
    expect(verifySignature(SECRET, forged, EVENT.body, NOW)).toBe(false);
  });

  it('accepts any matching v1 signature (secret rotation)', () => {
    const other = sign('whsec_old', NOW, EVENT.body);
    const both = `t=${NOW},v1=${other},v1=${sign(SECRET, NOW, EVENT.body)}`;
    expect(verifySignature(SECRET, both, EVENT.body, NOW)).toBe(true);
  });

  it.each([
    '',
    'garbage',
    `t=${NOW}`,
    `v1=${sign(SECRET, NOW, EVENT.body)}`,
    `t=abc,v1=${sign(SECRET, NOW, EVENT.body)}`,
    `t=${NOW},v1=${sign(SECRET, NOW, EVENT.body).slice(2)}`,
    `t=${NOW},v1=${sign(SECRET, NOW, EVENT.body).toUpperCase()}`,
    `t=${NOW},v0=${sign(SECRET, NOW, EVENT.body)}`,
  ])('rejects the malformed header %j', (bad) => {
    expect(verifySignature(SECRET, bad, EVENT.body, NOW)).toBe(false);
  });
});

describe('deliver', () => {
  it('POSTs the body with the event and signature headers, and nothing else of note', async () => {
    const rec = await receiver();
    const result = await deliver(`${rec.url}/hooks/runbox?x=1#frag`, SECRET, EVENT, options());

    expect(result).toEqual({ ok: true, status: 200 });
    expect(rec.requests).toHaveLength(1);
    const [got] = rec.requests;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/hooks/runbox?x=1');
    expect(got?.body).toBe(EVENT.body);
    expect(got?.headers).toMatchObject({
      host: `127.0.0.1:${rec.port}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(EVENT.body)),
      'user-agent': 'Runbox-Webhooks/1',
      'runbox-event-id': 'evt_123',
      'runbox-event-type': 'run.succeeded',
      'runbox-timestamp': String(NOW),
    });
    expect(got?.headers.cookie).toBeUndefined();
    expect(got?.headers.authorization).toBeUndefined();

    const received = String(got?.headers[SIGNATURE_HEADER]);
    expect(received).toMatch(new RegExp(`^t=${NOW},v1=[0-9a-f]{64}$`));
    expect(verifySignature(SECRET, received, got?.body ?? '', NOW + 10)).toBe(true);
    expect(verifySignature('whsec_wrong', received, got?.body ?? '', NOW)).toBe(false);
    expect(verifySignature(SECRET, received, '{"changed":true}', NOW)).toBe(false);
    expect(verifySignature(SECRET, received, got?.body ?? '', NOW + 3_600)).toBe(false);
  });

  it.each([201, 202, 204])('treats %i as success', async (status) => {
    const rec = await receiver((_req, res) => res.writeHead(status).end());
    expect(await deliver(rec.url, SECRET, EVENT, options())).toEqual({ ok: true, status });
  });

  it.each([400, 404, 410, 500, 503])('fails on HTTP %i with the status', async (status) => {
    const rec = await receiver((_req, res) => res.writeHead(status).end('nope'));
    const result = await deliver(rec.url, SECRET, EVENT, options());
    expect(result).toEqual({ ok: false, status, error: `HTTP ${status}` });
  });

  it('does not follow a redirect', async () => {
    const rec = await receiver((req, res) => {
      if (req.url === '/hook') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.end('followed');
    });
    const result = await deliver(`${rec.url}/hook`, SECRET, EVENT, options());
    expect(result).toMatchObject({ ok: false, status: 302 });
    expect(rec.requests.map((r) => r.url)).toEqual(['/hook']);
  });

  it('stops reading an endless response body', async () => {
    // Without the cap this would run into the attempt timeout, which is longer than the test's.
    const rec = await receiver((_req, res) => {
      res.on('error', () => {});
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.writeHead(200);
      pump();
    });
    const result = await deliver(rec.url, SECRET, EVENT, options({ timeoutMs: 120_000 }));
    expect(result).toEqual({ ok: true, status: 200 });
  });

  it('times out when the receiver never answers', async () => {
    const rec = await receiver(() => {});
    const result = await deliver(rec.url, SECRET, EVENT, options({ timeoutMs: 300 }));
    expect(result).toEqual({ ok: false, error: 'timed out after 300 ms' });
    expect(rec.requests).toHaveLength(1);
  });

  it('returns a failed result when the connection is refused', async () => {
    const rec = await receiver();
    await closeServer(servers.pop()!);
    const result = await deliver(rec.url, SECRET, EVENT, options());
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ error: expect.stringMatching(/ECONNREFUSED/) as unknown });
  });

  it('returns a failed result when the host does not resolve', async () => {
    lookupMock.mockImplementationOnce(async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), {
        code: 'ENOTFOUND',
      });
    });
    const result = await deliver('http://nowhere.invalid/', SECRET, EVENT, options());
    expect(result).toEqual({
      ok: false,
      error: 'could not resolve nowhere.invalid: getaddrinfo ENOTFOUND nowhere.invalid',
    });
  });

  it('returns a failed result for an unacceptable URL', async () => {
    const result = await deliver('ftp://example.com/', SECRET, EVENT, options());
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/http or https/) as unknown,
    });
  });

  it('ignores proxy settings from the environment', async () => {
    vi.stubEnv('HTTP_PROXY', 'http://127.0.0.1:9');
    vi.stubEnv('http_proxy', 'http://127.0.0.1:9');
    vi.stubEnv('NO_PROXY', '');
    const rec = await receiver();
    expect(await deliver(rec.url, SECRET, EVENT, options())).toEqual({ ok: true, status: 200 });
    expect(rec.requests).toHaveLength(1);
  });

  it('connects to the address it checked, keeping the host name in the Host header', async () => {
    const rec = await receiver();
    // A second resolution (as a rebinding attack would need) would answer something else.
    resolveTo(['127.0.0.1'], ['10.255.255.1']);
    const url = `http://hooks.example.test:${rec.port}/in`;
    const result = await deliver(url, SECRET, EVENT, options());

    expect(result).toEqual({ ok: true, status: 200 });
    expect(lookupMock).toHaveBeenCalledTimes(1);
    expect(lookupMock).toHaveBeenCalledWith('hooks.example.test', { all: true });
    expect(rec.requests[0]?.headers.host).toBe(`hooks.example.test:${rec.port}`);
  });

  describe('with private networks not allowed', () => {
    const cases: [string, (port: number) => string][] = [
      ['a 127.0.0.1 URL', (port) => `http://127.0.0.1:${port}/`],
      ['localhost', (port) => `http://localhost:${port}/`],
      ['[::1]', (port) => `http://[::1]:${port}/`],
      ['10.0.0.1', (port) => `http://10.0.0.1:${port}/`],
      ['127.0.0.1 written as a number', (port) => `http://2130706433:${port}/`],
      ['an IPv4-mapped IPv6 loopback', (port) => `http://[::ffff:127.0.0.1]:${port}/`],
      ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
      ['https to 192.168.1.1', () => 'https://192.168.1.1/'],
    ];

    it.each(cases)('refuses %s before connecting', async (_name, urlFor) => {
      const rec = await receiver();
      const result = await deliver(
        urlFor(rec.port),
        SECRET,
        EVENT,
        options({ allowPrivateNetworks: false }),
      );
      expect(result.ok).toBe(false);
      expect(result).toMatchObject({
        error: expect.stringContaining('private network address') as unknown,
      });
      expect(rec.connections).toBe(0);
      expect(rec.requests).toHaveLength(0);
    });

    it('refuses a name when any of its addresses is private', async () => {
      const rec = await receiver();
      resolveTo(['203.0.113.10', '10.0.0.5']);
      const url = `http://mixed.example.test:${rec.port}/`;
      const result = await deliver(url, SECRET, EVENT, options({ allowPrivateNetworks: false }));
      expect(result).toEqual({
        ok: false,
        error:
          'refused: mixed.example.test resolves to 10.0.0.5, which is a private network address' +
          ' (private); private networks are not allowed',
      });
      expect(rec.connections).toBe(0);
    });
  });
});

describe('checkWebhookUrl', () => {
  it.each([
    ['ftp://example.com/hook', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['http://', /not a valid/],
    ['http://:8080/hook', /not a valid/],
    ['/relative/hook', /not a valid/],
    ['', /not a valid/],
    ['https://user:pass@example.com/hook', /credentials/],
    ['https://token@example.com/hook', /credentials/],
    ['https://:pass@example.com/hook', /credentials/],
  ])('refuses %j', (url, message) => {
    expect(checkWebhookUrl(url)).toMatch(message);
  });

  it.each([
    'http://example.com/hook',
    'https://example.com/hook?team=1',
    'https://hooks.example.com:8443/a/b',
    'http://127.0.0.1:3000/', // whether private hosts are reachable is decided at delivery
    'https://[2001:db8::1]/hook',
  ])('accepts %j', (url) => {
    expect(checkWebhookUrl(url)).toBeUndefined();
  });
});

describe('address policy', () => {
  const table: [string, AddressKind][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['::127.0.0.1', 'reserved'],
    // Public, including the edges just outside the private blocks.
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['9.255.255.255', 'public'],
    ['11.0.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['126.255.255.255', 'public'],
    ['128.0.0.0', 'public'],
    ['169.253.255.255', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.167.255.255', 'public'],
    ['192.169.0.0', 'public'],
    ['223.255.255.255', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['fbff:ffff::1', 'public'],
    ['fe00::1', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::8.8.8.8', 'public'],
    // Not addresses at all: refused.
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['256.1.1.1', 'invalid'],
    ['[::1]', 'invalid'],
    ['2130706433', 'invalid'],
  ];

  it.each(table)('classifies %j as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
    expect(isPrivateAddress(address)).toBe(kind !== 'public');
  });
});

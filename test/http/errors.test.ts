/**
 * The error catalogue as a v2 client sees it (SPEC §6): envelope, statuses, the 405 and 404
 * of the router, bad input naming the field, and the per-token rate limit. A refused request
 * changes nothing.
 */
import { afterEach, expect, it } from 'vitest';
import { systemSources } from '../../src/main.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/** Matches any string (an asymmetric matcher, typed so it is not `any`). */
const anyString: unknown = expect.any(String);

function manualClock() {
  let now = Date.now();
  return {
    sources: { clock: { now: () => now }, ids: systemSources.ids },
    advance: (ms: number) => void (now += ms),
  };
}

describeEachBackend('errors', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const batchNames = async (token: string) => {
    const res = await h.as(token, { method: 'GET', url: '/api/v2/batches' });
    return res.json<{ batches: { name: string }[] }>().batches.map((b) => b.name);
  };

  it('answers a known path with the wrong method: 405 with Allow and the methods named', async () => {
    h = await startHarness(backend);
    for (const [method, url, allowed] of [
      ['PATCH', '/api/v2/batches', ['GET', 'POST']],
      ['PUT', '/api/v2/batches/1', ['GET', 'DELETE']],
      ['POST', '/api/v2/jobs/some-job', ['GET']],
      ['GET', '/api/v2/batches/multipart-upload/sessions/abc', ['POST']],
    ] as const) {
      const res = await h.as(h.tokens.alice, { method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      const body = res.json<{ message: string; type: string }>();
      expect(body.type).toBe('method-not-allowed');
      expect(Object.keys(body).sort()).toEqual(['message', 'type']);
      const allow = String(res.headers.allow).split(/,\s*/);
      expect(allow).toEqual(expect.arrayContaining([...allowed]));
      expect(allow).not.toContain(method);
      expect(body.message).toContain(
        `can only be accessed using the following HTTP methods: ${String(res.headers.allow)}`,
      );
    }
  });

  it('answers an unknown route with 404 record-not-found', async () => {
    h = await startHarness(backend);
    for (const url of [
      '/api/v2/nothing-here',
      '/api/v3/batches',
      '/api/v2/batches/1/files/a/b/c',
    ]) {
      const res = await h.as(h.tokens.alice, { method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual({ message: anyString, type: 'record-not-found' });
    }
  });

  it('renders every v2 error as {message, type}', async () => {
    h = await startHarness(backend);
    const cases = [
      { opts: { method: 'GET' as const, url: '/api/v2/batches/424242' }, status: 404 },
      { opts: { method: 'GET' as const, url: '/api/v2/batches/not-a-number' }, status: 400 },
      { opts: { method: 'GET' as const, url: '/api/v2/jobs/unknown' }, status: 404 },
      { opts: { method: 'DELETE' as const, url: '/api/v2/batches' }, status: 405 },
      // The router's own refusals: bad percent-encoding, an absurdly long path segment.
      { opts: { method: 'GET' as const, url: '/api/v2/batches/%E0%A4%A' }, status: 400 },
      {
        opts: { method: 'DELETE' as const, url: `/api/v2/batches/1/files/${'x'.repeat(5000)}` },
        status: 400,
      },
    ];
    for (const { opts, status } of cases) {
      const res = await h.as(h.tokens.bob, opts);
      expect(res.statusCode, opts.url).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json<Record<string, unknown>>();
      expect(Object.keys(body).sort()).toEqual(['message', 'type']);
      expect(body.message).toEqual(anyString);
      expect(body.message).not.toBe('');
    }
    const anonymous = await h.runbox.app.inject({ method: 'GET', url: '/api/v2/batches' });
    expect(Object.keys(anonymous.json<object>()).sort()).toEqual(['message', 'type']);
  });

  it('refuses malformed JSON and unknown or mistyped fields with 400 naming the field', async () => {
    h = await startHarness(backend);
    const malformed = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: '{"name": "half',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    const malformedBody = malformed.json<{ message: string; type: string }>();
    expect(malformedBody.type).toBe('invalid-input');
    expect(malformedBody.message).toMatch(/JSON/);

    for (const [url, payload, field] of [
      ['/api/v2/batches', { name: 'x', colour: 'red' }, 'colour'],
      ['/api/v2/batches', { workspace: 'shared' }, 'name'],
      ['/api/v2/batches', { name: { first: 'x' } }, 'name'],
      ['/api/v2/batches', { name: 5 }, 'name'],
      ['/api/v2/batches', { name: 'x', workspace: false }, 'workspace'],
      [
        '/api/v2/batches/multipart-upload',
        { batch_id: 'one', filename: 'a', file_size: 1 },
        'batch_id',
      ],
      [
        '/api/v2/batches/multipart-upload',
        { batch_id: 1, filename: 'a', file_size: -1 },
        'file_size',
      ],
    ] as const) {
      const res = await h.as(h.tokens.alice, { method: 'POST', url, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const body = res.json<{ message: string; type: string }>();
      expect(body.type).toBe('invalid-input');
      expect(body.message, JSON.stringify(payload)).toContain(field);
    }
    const query = await h.as(h.tokens.alice, { method: 'GET', url: '/api/v2/batches?limit=lots' });
    expect(query.statusCode).toBe(400);
    expect(query.json<{ message: string }>().message).toContain('limit');
    expect(await batchNames(h.tokens.alice)).toEqual([]);
  });

  it('limits each token to its burst, then refills at the rate; other tokens go on', async () => {
    const time = manualClock();
    h = await startHarness(
      backend,
      { RUNBOX_RATE_LIMIT_BURST: '3', RUNBOX_RATE_LIMIT_RATE: '1' },
      time.sources,
    );
    const create = (token: string, name: string) =>
      h.as(token, { method: 'POST', url: '/api/v2/batches', payload: { name } });
    for (const [i, remaining] of ['2', '1', '0'].entries()) {
      const res = await create(h.tokens.bob, `bob ${i}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      expect(res.headers['x-ratelimit-remaining']).toBe(remaining);
    }
    const refused = await create(h.tokens.bob, 'one too many');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ message: anyString, type: 'rate-limit-exceeded' });
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['x-ratelimit-limit']).toBe('3');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');

    // Other tokens, even another of bob's, have their own buckets.
    const bobsOther = await h.runbox.admin.createToken('bob', { name: 'second' });
    expect((await create(h.tokens.alice, 'alice')).statusCode).toBe(200);
    expect((await create(bobsOther.token, 'bob other')).statusCode).toBe(200);

    time.advance(1000);
    const again = await h.as(h.tokens.bob, { method: 'GET', url: '/api/v2/batches' });
    expect(again.statusCode).toBe(200);
    expect((await create(h.tokens.bob, 'still too fast')).statusCode).toBe(429);
    time.advance(3000);
    for (let i = 0; i < 3; i++) {
      expect((await h.as(h.tokens.bob, { method: 'GET', url: '/api/v2/batches' })).statusCode).toBe(
        200,
      );
    }
    // Refused requests created nothing.
    expect((await batchNames(bobsOther.token)).sort()).toEqual([
      'bob 0',
      'bob 1',
      'bob 2',
      'bob other',
    ]);
  });

  it('does not limit anything with RUNBOX_RATE_LIMIT=off', async () => {
    h = await startHarness(backend, {
      RUNBOX_RATE_LIMIT: 'off',
      RUNBOX_RATE_LIMIT_BURST: '1',
      RUNBOX_RATE_LIMIT_RATE: '1',
    });
    for (let i = 0; i < 10; i++) {
      const res = await h.as(h.tokens.bob, { method: 'GET', url: '/api/v2/batches' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
  });
});

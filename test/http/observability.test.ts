/**
 * What operators and tooling read without going through the API proper (SPEC §4.2, §9):
 * liveness, readiness, Prometheus metrics, and the OpenAPI document with its browsable page.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';

const anyString: unknown = expect.any(String);
const anyNumber: unknown = expect.any(Number);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a Prometheus sample: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

function sampleValue(all: Sample[], name: string, labels: Record<string, string>) {
  const found = all.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.length === 0 ? undefined : found.reduce((sum, s) => sum + s.value, 0);
}

/**
 * Every (method, path) Fastify routes, read from its route tree: each line of `printRoutes()`
 * is a path fragment, indented four columns per level below its parent.
 */
function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const stack: string[] = [];
  const routes: { method: string; url: string }[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const m = /^(.*?)[└├]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack[depth] = m[2]!;
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method, url: stack.join('') });
  }
  return routes;
}

/** Fastify's `/a/:id/*` as our OpenAPI's `/a/{id}/{path}` (the wildcard is documented as `path`). */
const asOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}');

describeEachBackend('observability', (backend) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers /healthz without a token', async () => {
    h = await startHarness(backend);
    const res = await h.runbox.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with the backend and migrations, and 503 once the store is gone', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const ready = await h.runbox.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', backend, migrations: anyNumber });
    expect(ready.json<{ migrations: number }>().migrations).toBeGreaterThan(0);

    const { app, store } = h.runbox;
    h = undefined; // closed piecemeal below
    await store.close();
    try {
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'not-ready' });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('exposes Prometheus metrics: requests by route and status, latency, jobs by state', async () => {
    h = await startHarness(backend);
    const alice = h.tokens.alice;
    await h.as(alice, { method: 'GET', url: '/api/v2/batches' });
    await h.as(alice, { method: 'GET', url: '/api/v2/batches' });
    await h.as(alice, { method: 'GET', url: '/api/v2/batches/4242' });
    await h.as(alice, { method: 'GET', url: '/api/v2/no-such-route-7f3a' });
    const created = await h.as(alice, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'm' },
    });
    const del = await h.as(alice, {
      method: 'DELETE',
      url: `/api/v2/batches/${created.json<{ id: number }>().id}`,
    });
    await waitForJob(h, alice, del.json<{ job_id: string }>().job_id);

    const res = await h.runbox.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE runbox_http_requests_total counter');
    expect(res.body).toContain('# TYPE runbox_http_request_duration_seconds histogram');
    expect(res.body).toContain('# TYPE runbox_jobs gauge');
    const all = samples(res.body);
    const requests = (route: string, status: string) =>
      sampleValue(all, 'runbox_http_requests_total', { method: 'GET', route, status });
    expect(requests('/api/v2/batches', '200')).toBe(2);
    expect(requests('/api/v2/batches/:batch_id', '404')).toBe(1);
    expect(
      sampleValue(all, 'runbox_http_requests_total', {
        method: 'DELETE',
        route: '/api/v2/batches/:batch_id',
        status: '202',
      }),
    ).toBe(1);
    // Unknown URLs share one label value: a scanner cannot blow up the series count.
    expect(res.body).not.toContain('no-such-route-7f3a');
    expect(
      sampleValue(all, 'runbox_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v2/batches',
      }),
    ).toBe(2);
    for (const state of ['PENDING', 'RUNNING', 'FAILED', 'CANCELLED']) {
      expect(sampleValue(all, 'runbox_jobs', { state })).toBe(0);
    }
    expect(sampleValue(all, 'runbox_jobs', { state: 'COMPLETE' })).toBe(1);
  });

  it('requires a token for /metrics with RUNBOX_METRICS_AUTH=true', async () => {
    h = await startHarness(backend, { RUNBOX_METRICS_AUTH: 'true' });
    const anonymous = await h.runbox.app.inject({ method: 'GET', url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ type: 'token-not-provided' });
    const bad = await h.as('rbx_notAToken', { method: 'GET', url: '/metrics' });
    expect(bad.statusCode).toBe(401);
    const ok = await h.as(h.tokens.bob, { method: 'GET', url: '/metrics' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('runbox_http_requests_total');
  });

  it('serves an OpenAPI 3 document of every /api route, without a token', async () => {
    h = await startHarness(backend);
    const res = await h.runbox.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { operationId?: string; responses?: object }>>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toEqual(anyString);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );

    const routes = registeredRoutes(h.runbox.app);
    const served = new Set(routes.map((r) => `${r.method} ${asOpenApiPath(r.url)}`));
    const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
    // The document itself and the docs page are not API operations.
    const api = routes.filter(
      (r) =>
        r.url.startsWith('/api/') &&
        r.url !== '/api/openapi.json' &&
        !r.url.startsWith('/api/docs'),
    );
    expect(api.length).toBeGreaterThan(10);
    // HEAD twins Fastify adds to GET routes are not operations of their own.
    const expected = api.filter((r) => r.method !== 'HEAD' || !gets.has(r.url));
    const missing = expected
      .map((r) => `${r.method} ${asOpenApiPath(r.url)}`)
      .filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
    expect([...documented].filter((k) => !served.has(k))).toEqual([]);
    // A HEAD declared on its own (file metadata) is documented even though GET shares its path.
    expect(documented).toContain('HEAD /api/v2/files/{path}');

    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(
      Object.values(doc.paths).every((item) => Object.values(item).every((op) => op.responses)),
    ).toBe(true);
  });

  it('serves the docs page and its assets without a token', async () => {
    h = await startHarness(backend);
    const page = await h.runbox.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/swagger-ui/i);
    const assets = [...page.body.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const url = new URL(asset, 'http://runbox.test/api/docs').pathname;
      const res = await h.runbox.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
  });
});

/**
 * The dashboard's files as the server serves them, from a bundle folder of the test's own: the
 * page on `/` and the dashboard's paths only, its CSP, hashed assets cached for good, nothing
 * outside the assets folder, and a clear answer when no bundle was built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../src/http/error-handler.js';
import { installNotFound } from '../../src/http/not-found.js';
import { DASHBOARD_PAGES, registerDashboardRoutes } from '../../src/http/dashboard-routes.js';

const HTML = '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>';

describe('dashboard routes', () => {
  let app: FastifyInstance | undefined;
  let dir: string;
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}-outside.txt`, { force: true });
  });

  async function serve(files: Record<string, string>): Promise<FastifyInstance> {
    dir = mkdtempSync(join(tmpdir(), 'runbox-dashboard-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    writeFileSync(`${dir}-outside.txt`, 'OUTSIDE-CONTENT');
    app = Fastify();
    installNotFound(app);
    installErrorHandler(app);
    registerDashboardRoutes(app, dir);
    await app.ready();
    return app;
  }

  it('serves the page at / and on every dashboard path, never cached, under a self-only CSP', async () => {
    const a = await serve({ 'index.html': HTML });
    for (const url of [
      '/',
      '/runs',
      '/runs/01a2-run',
      '/review/x?y=1',
      ...DASHBOARD_PAGES.map((p) => `/${p}`),
    ]) {
      const res = await a.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(HTML);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = String(res.headers['content-security-policy']);
      for (const directive of [
        "default-src 'self'",
        "connect-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).not.toMatch(/unsafe-(inline|eval)|\*|https?:/);
    }
    expect((await a.inject({ method: 'HEAD', url: '/runs' })).statusCode).toBe(200);
    // Not a page: the API's 404 and 405 as before.
    const unknown = await a.inject({ method: 'GET', url: '/elsewhere' });
    expect([unknown.statusCode, unknown.json<{ type: string }>().type]).toEqual([
      404,
      'record-not-found',
    ]);
    const post = await a.inject({ method: 'POST', url: '/runs' });
    expect(post.statusCode).toBe(405);
  });

  it('assets: by content type, cached as immutable; nothing outside the assets folder', async () => {
    const a = await serve({
      'index.html': HTML,
      'assets/index-abc123.js': 'console.log(1)',
      'assets/index-abc123.css': 'body{}',
      'assets/pdf.worker.min-x1.mjs': 'self.onmessage=null',
      'assets/.hidden': 'HIDDEN-CONTENT',
      'secret.txt': 'NOT-AN-ASSET',
    });
    for (const [url, type] of [
      ['/assets/index-abc123.js', 'text/javascript; charset=utf-8'],
      ['/assets/index-abc123.css', 'text/css; charset=utf-8'],
      ['/assets/pdf.worker.min-x1.mjs', 'text/javascript; charset=utf-8'],
    ] as const) {
      const res = await a.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    for (const url of [
      '/assets/.hidden',
      '/assets/../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/..%2fsecret.txt',
      `/assets/..%2f..%2f${dir.split('/').pop()}-outside.txt`,
      '/assets/nope.js',
      '/assets/',
      '/secret.txt',
      '/index.html',
    ]) {
      const res = await a.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toMatch(/HIDDEN-CONTENT|OUTSIDE-CONTENT|NOT-AN-ASSET/);
    }
  });

  it('without a built bundle the page says how to build it', async () => {
    const a = await serve({});
    const res = await a.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      type: 'record-not-found',
      message: 'The dashboard is not built: run `npm run build:dashboard`.',
    });
  });
});

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DASHBOARD_PAGES } from '../contract/dashboard-pages.js';
import { RunboxError } from '../contract/errors.js';
import { projectPath } from '../project-root.js';

/** Where `vite build` puts the dashboard (dashboard/vite.config.mjs). */
export const DASHBOARD_DIR = projectPath('dashboard', 'dist');

/**
 * Only the dashboard's own pages serve the page itself, so no API path, `/v2` Apify route,
 * `/docs`, `/metrics` or health route is shadowed, and an unknown path still gets the API's 404.
 */
export { DASHBOARD_PAGES };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/**
 * Everything the page loads comes from this server: scripts, styles, the PDF worker and fetches.
 * Previews of uploaded images are `blob:` URLs made in the page from bytes this server sent.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** An asset path inside the bundle: plain segments only (no dot files, no `..`). */
const SAFE_ASSET = /^(?:[\w-][\w.-]*\/)*[\w-][\w.-]*$/;

/**
 * Serves the built dashboard: `/` and its pages get `index.html` (never cached, so a new build
 * is picked up), `/assets/…` the hashed bundle files (cached for good: a change is a new name).
 */
export function registerDashboardRoutes(app: FastifyInstance, dir: string = DASHBOARD_DIR): void {
  const config = { public: true };
  const schema = { hide: true };

  const page = async (_req: unknown, reply: FastifyReply) => {
    const file = join(dir, 'index.html');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      throw new RunboxError(
        'record-not-found',
        'The dashboard is not built: run `npm run build:dashboard`.',
      );
    }
    return reply
      .header('content-type', TYPES['.html'])
      .header('cache-control', 'no-cache')
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-length', info.size)
      .send(createReadStream(file));
  };

  app.get('/', { config, schema }, page);
  for (const name of DASHBOARD_PAGES) {
    app.get(`/${name}`, { config, schema }, page);
    app.get(`/${name}/*`, { config, schema }, page);
  }

  app.get('/assets/*', { config, schema }, async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    const info = SAFE_ASSET.test(rel)
      ? await stat(join(dir, 'assets', rel)).catch(() => undefined)
      : undefined;
    if (!info?.isFile()) throw new RunboxError('record-not-found', `No asset ${rel}.`);
    return reply
      .header('content-type', TYPES[extname(rel)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .header('content-length', info.size)
      .send(createReadStream(join(dir, 'assets', rel)));
  });
}

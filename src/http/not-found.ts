import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { RunboxError } from '../contract/errors.js';

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Unknown routes answer 404 record-not-found; a known path with the wrong method answers 405
 * with `Allow`. Fastify's router only knows "no match", so a shadow router of every route's
 * path answers "which methods would have matched".
 */
export function installNotFound(app: FastifyInstance): void {
  const shadow = FindMyWay({ ignoreTrailingSlash: true });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (!METHODS.includes(m as HTTPMethod)) continue;
      try {
        shadow.on(m as HTTPMethod, route.url, () => undefined);
      } catch {
        // already known (the same path registered twice for one method)
      }
    }
  });
  app.setNotFoundHandler(async (request) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((m) => m !== request.method && shadow.find(m, path));
    if (allowed.length > 0) {
      throw new RunboxError(
        'method-not-allowed',
        `${path} can only be accessed using the following HTTP methods: ${allowed.join(', ')}.`,
        { headers: { Allow: allowed.join(', ') } },
      );
    }
    throw new RunboxError('record-not-found', `No route ${request.method} ${path}.`);
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';

/**
 * In the scope this is applied to, request bodies are not parsed: the handler gets the raw
 * stream, whatever the Content-Type, so uploads stream to storage and are never buffered whole.
 */
export function passRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
}

export function rawBody(request: FastifyRequest): Readable {
  const b = request.body as Readable | undefined;
  return b && typeof b.pipe === 'function' ? b : request.raw;
}

export function declaredLength(request: FastifyRequest): number | undefined {
  const v = request.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

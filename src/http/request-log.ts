import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';

/**
 * The logger a Fastify server of ours logs with: requests through `requestForLog`. Typed as
 * Fastify's logger so the instance is the plain FastifyInstance.
 */
export function httpLogger(logger: Logger): FastifyBaseLogger {
  return logger.child({}, { serializers: { req: requestForLog } });
}

/** What the log keeps of a request: never a token passed in the query string. */
export function requestForLog(req: { method?: string; url?: string; host?: string; ip?: string }) {
  return {
    method: req.method,
    url: req.url?.replace(/([?&]token=)[^&]*/gi, '$1[redacted]'),
    host: req.host,
    remoteAddress: req.ip,
  };
}

import { dialectOf } from './dialects.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RunboxError } from '../contract/errors.js';
import type { Clock } from '../domain/sources.js';
import { TokenBuckets } from '../domain/token-bucket.js';
import type { AuthService } from '../services/auth-service.js';
import './request-context.js';

export interface RateLimitConfig {
  enabled: boolean;
  /** Requests a second per token, sustained. */
  rate: number;
  /** Requests a token may make at once before the rate applies. */
  burst: number;
}

/** Apify clients may pass the token as `?token=` instead of the header (Apify dialect only). */
function queryToken(request: FastifyRequest): string | undefined {
  if (dialectOf(request.url) !== 'apify') return undefined;
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && token !== '' ? `Bearer ${token}` : undefined;
}

/**
 * Authenticates every route not marked public (before the body is read, so an unauthenticated
 * upload is refused without being received), then applies the per-token rate limit.
 */
export function installAuth(
  app: FastifyInstance,
  deps: { auth: AuthService; clock: Clock; rateLimit: RateLimitConfig },
): void {
  const buckets = new TokenBuckets(deps.rateLimit.rate, deps.rateLimit.burst);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public || request.is404) return;
    const context = request.headers['ib-context'];
    const p = await deps.auth.authenticate(
      request.headers.authorization ?? queryToken(request),
      Array.isArray(context) ? context[0] : context,
    );
    request.principal = p;
    if (!deps.rateLimit.enabled) return;
    const d = buckets.take(p.tokenId, deps.clock.now());
    const headers = {
      'X-RateLimit-Limit': String(deps.rateLimit.burst),
      'X-RateLimit-Remaining': String(d.remaining),
    };
    if (!d.allowed) {
      throw new RunboxError('rate-limit-exceeded', 'Too many requests for this token; slow down.', {
        headers: { ...headers, 'Retry-After': String(d.retryAfterSeconds) },
      });
    }
    void reply.headers(headers);
  });
}

import type { FastifyRequest } from 'fastify';
import type { Principal } from '../services/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Served without a token (health, readiness, the OpenAPI document). */
    public?: boolean;
  }
}

/** The authenticated caller; the auth hook guarantees one on every non-public route. */
export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}

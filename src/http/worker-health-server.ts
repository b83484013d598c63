import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../domain/sources.js';
import type { AuthService } from '../services/auth-service.js';
import type { Store } from '../store/store.js';
import { installAuth } from './auth-hook.js';
import { installErrorHandler } from './error-handler.js';
import { registerHealthRoutes } from './health-routes.js';
import { installMetrics } from './metrics.js';
import { installNotFound } from './not-found.js';
import { httpLogger } from './request-log.js';

/**
 * What a `runbox worker` process serves when given a port: `/healthz`, `/readyz` and
 * `/metrics`, the same routes as an API node's, and nothing else (so an orchestrator can probe
 * and scrape workers too). `/metrics` asks for a token where the API's does.
 */
export function createWorkerHealthServer(deps: {
  store: Store;
  auth: AuthService;
  clock: Clock;
  logger: Logger;
  metricsRequireToken: boolean;
  notReady: () => string | undefined;
}): FastifyInstance {
  const app = Fastify({
    loggerInstance: httpLogger(deps.logger),
    routerOptions: { ignoreTrailingSlash: true },
  });
  installNotFound(app);
  installErrorHandler(app);
  installAuth(app, {
    auth: deps.auth,
    clock: deps.clock,
    rateLimit: { enabled: false, rate: 0, burst: 0 },
  });
  installMetrics(app, { store: deps.store, requireToken: deps.metricsRequireToken });
  registerHealthRoutes(app, deps.store, deps.notReady);
  return app;
}

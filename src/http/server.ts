import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Sources } from '../domain/sources.js';
import type { Store } from '../store/store.js';
import { batchRoutes } from './aihub/batch-routes.js';
import { fileRoutes } from './aihub/file-routes.js';
import { jobRoutes } from './aihub/job-routes.js';
import type { Services } from './aihub/services.js';
import { batchUploadRoutes, multipartRoutes } from './aihub/upload-routes.js';
import { installAuth, type RateLimitConfig } from './auth-hook.js';
import { installErrorHandler } from './error-handler.js';
import { registerHealthRoutes } from './health-routes.js';
import { installMetrics } from './metrics.js';
import { installNotFound } from './not-found.js';
import { installOpenApi } from './openapi.js';

export interface HttpOptions {
  rateLimit: RateLimitConfig;
  /** Require a token for /metrics (off by default, like most exporters). */
  metricsRequireToken: boolean;
  version: string;
}

export async function buildServer(deps: {
  services: Services;
  store: Store;
  sources: Sources;
  logger: Logger;
  options: HttpOptions;
}): Promise<FastifyInstance> {
  const { services, store, sources, options } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: () => sources.ids.uuid(),
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    ajv: {
      // Unknown body fields are refused (400), not silently dropped; query strings are coerced.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installNotFound(app);
  installErrorHandler(app);
  await installOpenApi(app, options.version);
  installAuth(app, { auth: services.auth, clock: sources.clock, rateLimit: options.rateLimit });
  installMetrics(app, { store, requireToken: options.metricsRequireToken });
  registerHealthRoutes(app, store);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('X-Request-Id', request.id);
  });

  await app.register(
    async (api) => {
      await api.register(batchRoutes, { services });
      await api.register(batchUploadRoutes, { services });
      await api.register(multipartRoutes, { services });
      await api.register(fileRoutes, { services });
      await api.register(jobRoutes, { services });
    },
    { prefix: '/api' },
  );
  await app.ready();
  return app;
}

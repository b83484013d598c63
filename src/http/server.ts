import { AjvCompiler } from '@fastify/ajv-compiler';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Sources } from '../domain/sources.js';
import type { Store } from '../store/store.js';
import { apifyRoutes } from './apify/apify-routes.js';
import { batchRoutes } from './aihub/batch-routes.js';
import { fileRoutes } from './aihub/file-routes.js';
import { jobRoutes } from './aihub/job-routes.js';
import { appPublishRoutes, appRoutes } from './aihub/app-routes.js';
import { runRoutes } from './aihub/run-routes.js';
import { secretRoutes } from './aihub/secret-routes.js';
import { deploymentRoutes } from './aihub/deployment-routes.js';
import { reviewRoutes } from './aihub/review-routes.js';
import { retentionRoutes } from './aihub/retention-routes.js';
import { runStreamRoutes } from './aihub/run-stream-routes.js';
import { runFileRoutes } from './aihub/run-file-routes.js';
import { meRoutes } from './aihub/me-routes.js';
import { adminRoutes } from './aihub/admin-routes.js';
import { praisonRoutes } from './praison/praison-routes.js';
import type { Services } from './aihub/services.js';
import { batchUploadRoutes, multipartRoutes } from './aihub/upload-routes.js';
import { installAuth, type RateLimitConfig } from './auth-hook.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { installErrorHandler, sendError } from './error-handler.js';
import { registerHealthRoutes } from './health-routes.js';
import { httpLogger } from './request-log.js';
import { installStreamShutdown } from './run-log-reply.js';
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
  /** Why the process is not ready yet (e.g. still reaching its store), or undefined. */
  notReady?: () => string | undefined;
}): Promise<FastifyInstance> {
  const { services, store, sources, options } = deps;
  // Requests are logged without a `?token=` an Apify client may send.
  const loggerInstance = httpLogger(deps.logger);
  const app = Fastify({
    loggerInstance,
    genReqId: () => sources.ids.uuid(),
    bodyLimit: 1024 * 1024,
    // A file name may be 255 characters, each percent-encoded in up to 12 (SPEC §4.1).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
    // Errors the router raises before any route (bad percent-encoding, an over-long
    // parameter) get the same envelope as every other error.
    frameworkErrors: (err, request, reply) => void sendError(err, request, reply),
    ajv: {
      // Unknown body fields are refused (400), not silently dropped.
      customOptions: { removeAdditional: false, useDefaults: true },
    },
    schemaController: { compilersFactory: { buildValidator: coerceAllButBodies() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installNotFound(app);
  installErrorHandler(app);
  await installOpenApi(app, options.version);
  installAuth(app, { auth: services.auth, clock: sources.clock, rateLimit: options.rateLimit });
  installMetrics(app, { store, requireToken: options.metricsRequireToken });
  registerHealthRoutes(app, store, deps.notReady);
  registerDashboardRoutes(app);
  installStreamShutdown(app);
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
      await api.register(appPublishRoutes, { services });
      await api.register(appRoutes, { services });
      await api.register(runRoutes, { services });
      await api.register(runStreamRoutes, { services });
      await api.register(runFileRoutes, { services });
      await api.register(meRoutes, { services });
      await api.register(adminRoutes, { services });
      await api.register(secretRoutes, { services });
      await api.register(deploymentRoutes, { services });
      await api.register(reviewRoutes, { services });
      await api.register(retentionRoutes, { services });
      await api.register(praisonRoutes, { services, store });
    },
    { prefix: '/api' },
  );
  await app.register(apifyRoutes, { services, store });
  await app.ready();
  return app;
}

interface RouteSchema {
  httpPart?: string;
}
type Compile = (route: RouteSchema) => unknown;
type ValidatorFactory = NonNullable<
  NonNullable<
    NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
  >['buildValidator']
>;

/**
 * Fastify's own validator compiler, twice: query strings, path params and headers arrive as
 * text and are coerced to their schema's types; JSON bodies are not, so `{"name": 5}` is a
 * mistyped field (400 naming it, SPEC §6) rather than the name "5". (Fastify's single Ajv
 * would coerce bodies too.)
 */
function coerceAllButBodies(): ValidatorFactory {
  // The compiler's published types describe its result as a bare Ajv compile; it takes the
  // route's schema definition (with httpPart), which is what we dispatch on.
  const pool = AjvCompiler() as unknown as (
    externalSchemas: unknown,
    options: { customOptions?: Record<string, unknown> },
  ) => Compile;
  const factory = (
    externalSchemas: unknown,
    options: { customOptions?: Record<string, unknown> } = {},
  ) => {
    const withCoercion = (coerceTypes: 'array' | false) =>
      pool(externalSchemas, {
        ...options,
        customOptions: { ...options.customOptions, coerceTypes },
      });
    const text = withCoercion('array');
    const json = withCoercion(false);
    return (route: RouteSchema) => (route.httpPart === 'body' ? json : text)(route);
  };
  return factory as unknown as ValidatorFactory;
}

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from '../contract/aihub/common.js';

/**
 * The OpenAPI document is generated from the route schemas, so it describes exactly what this
 * server serves. Must be registered before the routes.
 */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(ErrorBody);
  documentDeclaredHeadRoutes(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Runbox API',
        version,
        description:
          'Runs server for automation apps. The /api/v2 routes speak the AI Hub API; see the README for the Apify and PraisonAI dialects.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearerAuth: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  // The docs page is public like the document it shows.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/docs')) route.config = { ...route.config, public: true };
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}

/**
 * @fastify/swagger leaves HEAD routes out (most are the twins Fastify adds to GET routes) and
 * would suffix a documented one's operationId with `-head`. A HEAD route declared on its own
 * (its operationId is no GET's, e.g. getFileMetadata) is an operation of its own: document it
 * under its own id. Must run before swagger's onRoute hook, so it is added first.
 */
function documentDeclaredHeadRoutes(app: FastifyInstance): void {
  const getOperations = new Set<string>();
  app.addHook('onRoute', (route) => {
    const id = route.schema?.operationId;
    if (!id) return;
    if (route.method === 'GET') getOperations.add(id);
    if (route.method !== 'HEAD' || getOperations.has(id)) return;
    route.config = {
      ...route.config,
      swagger: { ...route.config?.swagger, exposeHeadRoute: true },
      swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, operationId: id }, url }),
    };
  });
}

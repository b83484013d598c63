import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
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
    transform: documentRoute,
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

/** Operations whose request body is raw bytes, streamed (not validated, so not in the schema). */
const BINARY_BODIES: Record<string, string[]> = {
  addFileToBatch: ['application/octet-stream'],
  uploadMultipartPart: ['application/octet-stream'],
  writeFile: ['application/octet-stream'],
  publishApp: ['application/gzip', 'application/zip'],
};

interface DocRoute {
  schema: FastifySchema & { operationId?: string };
  url: string;
}

/**
 * Documentation-only touches: the Files API's wildcard is named `path` (as in the AI Hub
 * reference), and raw-byte bodies are described as binary.
 */
function documentRoute({ schema, url }: DocRoute): DocRoute {
  let out: FastifySchema & { operationId?: string } = schema;
  let path = url;
  if (path.endsWith('/*')) {
    path = `${path.slice(0, -1)}:path`;
    out = {
      ...out,
      params: {
        type: 'object',
        properties: {
          path: { type: 'string', description: '<org>/<workspace>/fs/<drive>/<folder…>/<file>' },
        },
        required: ['path'],
      },
    };
  }
  const media = out.operationId ? BINARY_BODIES[out.operationId] : undefined;
  if (media) out = { ...out, body: { type: 'string', format: 'binary' }, consumes: media };
  return { schema: out, url: path };
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
      swaggerTransform: ({ schema, url }) =>
        documentRoute({ schema: { ...schema, operationId: id }, url }),
    };
  });
}

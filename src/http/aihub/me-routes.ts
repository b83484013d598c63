import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import { CurrentUserResponse } from '../../contract/aihub/me.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

/** Who the token belongs to and which contexts it may act in (Runbox extension). */
export const meRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v2/me',
    {
      schema: {
        tags: ['Users'],
        operationId: 'getCurrentUser',
        response: { 200: CurrentUserResponse, ...errorResponses },
      },
    },
    async (req) => services.orgAdmin.currentUser(principal(req)),
  );
};

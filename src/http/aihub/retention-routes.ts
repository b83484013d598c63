import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import {
  ListRetentionResponse,
  RetentionBody,
  RetentionObject,
  RetentionParams,
} from '../../contract/aihub/retention.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Retention'];

/** Retention policies (org admins): finished runs older than N days are deleted by jobs. */
export const retentionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v2/retention-policies',
    {
      schema: {
        tags,
        operationId: 'listRetentionPolicies',
        response: { 200: ListRetentionResponse, ...errorResponses },
      },
    },
    async (req) => ({ policies: await services.retention.list(principal(req)) }),
  );

  app.put(
    '/v2/retention-policies',
    {
      schema: {
        tags,
        operationId: 'putRetentionPolicy',
        description: 'Creates the policy of a scope and target, or replaces it.',
        body: RetentionBody,
        response: { 200: RetentionObject, ...errorResponses },
      },
    },
    async (req) => services.retention.put(principal(req), req.body),
  );

  app.delete(
    '/v2/retention-policies/:policy_id',
    {
      schema: {
        tags,
        operationId: 'deleteRetentionPolicy',
        params: RetentionParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.retention.delete(principal(req), req.params.policy_id);
      return reply.status(204).send(null);
    },
  );
};

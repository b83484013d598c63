import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import {
  CreateSecretBody,
  DeleteSecretBody,
  ListSecretsQuery,
  ListSecretsResponse,
  UpdateSecretBody,
} from '../../contract/aihub/secrets.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Secrets'];

/** The reference documents these 200s without a body. */
const NoBody = (description: string) => Type.Null({ description });

/** `/v2/aihub/secrets` as in the reference: by alias, values write-only. */
export const secretRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v2/aihub/secrets',
    {
      schema: {
        tags,
        operationId: 'listSecrets',
        querystring: ListSecretsQuery,
        response: { 200: ListSecretsResponse, ...errorResponses },
      },
    },
    async (req) => ({ secrets: await services.secrets.list(principal(req), req.query) }),
  );

  app.post(
    '/v2/aihub/secrets',
    {
      schema: {
        tags,
        operationId: 'createSecret',
        body: CreateSecretBody,
        response: { 200: NoBody('Secret created.'), ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.secrets.create(principal(req), req.body);
      return reply.send();
    },
  );

  app.patch(
    '/v2/aihub/secrets',
    {
      schema: {
        tags,
        operationId: 'updateSecret',
        body: UpdateSecretBody,
        response: { 200: NoBody('Secret updated.'), ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.secrets.update(principal(req), req.body);
      return reply.send();
    },
  );

  app.delete(
    '/v2/aihub/secrets',
    {
      schema: {
        tags,
        operationId: 'deleteSecret',
        body: DeleteSecretBody,
        response: { 200: NoBody('Secret deleted.'), ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.secrets.delete(principal(req), req.body.alias);
      return reply.send();
    },
  );
};

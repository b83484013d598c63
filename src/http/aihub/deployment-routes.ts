import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import {
  CreateDeploymentBody,
  DeploymentObject,
  DeploymentParams,
  IdempotencyHeaders,
  ListDeploymentsQuery,
  ListDeploymentsResponse,
  RunDeploymentBody,
  UpdateDeploymentBody,
} from '../../contract/aihub/deployments.js';
import { RunObject } from '../../contract/aihub/runs.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Deployments'];

export const deploymentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v2/apps/deployments',
    {
      schema: {
        tags,
        operationId: 'createDeployment',
        body: CreateDeploymentBody,
        response: { 201: DeploymentObject, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await services.deployments.create(principal(req), req.body)),
  );

  app.get(
    '/v2/apps/deployments',
    {
      schema: {
        tags,
        operationId: 'listDeployments',
        querystring: ListDeploymentsQuery,
        response: { 200: ListDeploymentsResponse, ...errorResponses },
      },
    },
    async (req) => ({
      deployments: await services.deployments.list(principal(req), req.query),
    }),
  );

  app.get(
    '/v2/apps/deployments/:deployment_id',
    {
      schema: {
        tags,
        operationId: 'getDeployment',
        params: DeploymentParams,
        response: { 200: DeploymentObject, ...errorResponses },
      },
    },
    async (req) => services.deployments.get(principal(req), req.params.deployment_id),
  );

  app.patch(
    '/v2/apps/deployments/:deployment_id',
    {
      schema: {
        tags,
        operationId: 'updateDeployment',
        params: DeploymentParams,
        body: UpdateDeploymentBody,
        response: { 200: DeploymentObject, ...errorResponses },
      },
    },
    async (req) => services.deployments.update(principal(req), req.params.deployment_id, req.body),
  );

  app.delete(
    '/v2/apps/deployments/:deployment_id',
    {
      schema: {
        tags,
        operationId: 'deleteDeployment',
        params: DeploymentParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.deployments.delete(principal(req), req.params.deployment_id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v2/apps/deployments/:deployment_id/runs',
    {
      schema: {
        tags: ['Runs'],
        operationId: 'runDeployment',
        params: DeploymentParams,
        headers: IdempotencyHeaders,
        body: RunDeploymentBody,
        response: { 202: RunObject, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(
          await services.deployments.run(
            principal(req),
            req.params.deployment_id,
            req.body,
            req.headers['idempotency-key'],
          ),
        ),
  );
};

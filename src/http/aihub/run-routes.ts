import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import {
  CreateRunBody,
  DeleteRunQuery,
  DeleteRunResponse,
  ListRunsQuery,
  ListRunsResponse,
  ResultsQuery,
  ResultsResponse,
  RunObject,
  RunParams,
} from '../../contract/aihub/runs.js';
import { IdempotencyHeaders } from '../../contract/aihub/deployments.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Runs'];

export const runRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v2/apps/runs',
    {
      schema: {
        tags,
        operationId: 'runApp',
        headers: IdempotencyHeaders,
        body: CreateRunBody,
        response: { 200: RunObject, ...errorResponses },
      },
    },
    async (req) =>
      services.runs.create(principal(req), req.body, {
        idempotencyKey: req.headers['idempotency-key'],
      }),
  );

  app.get(
    '/v2/apps/runs',
    {
      schema: {
        tags,
        operationId: 'listRuns',
        querystring: ListRunsQuery,
        response: { 200: ListRunsResponse, ...errorResponses },
      },
    },
    async (req) => ({ runs: await services.runs.list(principal(req), req.query) }),
  );

  app.get(
    '/v2/apps/runs/:run_id',
    {
      schema: {
        tags,
        operationId: 'getRunStatus',
        params: RunParams,
        response: { 200: RunObject, ...errorResponses },
      },
    },
    async (req) => services.runs.get(principal(req), req.params.run_id),
  );

  app.get(
    '/v2/apps/runs/:run_id/results',
    {
      schema: {
        tags,
        operationId: 'getRunResults',
        params: RunParams,
        querystring: ResultsQuery,
        response: { 200: ResultsResponse, ...errorResponses },
      },
    },
    async (req) => services.runResults.results(principal(req), req.params.run_id, req.query),
  );

  app.post(
    '/v2/apps/runs/:run_id/cancel',
    {
      schema: {
        tags,
        operationId: 'cancelRun',
        params: RunParams,
        response: { 200: RunObject, ...errorResponses },
      },
    },
    async (req) => services.runs.cancel(principal(req), req.params.run_id),
  );

  app.delete(
    '/v2/apps/runs/:run_id',
    {
      schema: {
        tags,
        operationId: 'deleteRun',
        params: RunParams,
        querystring: DeleteRunQuery,
        response: { 202: DeleteRunResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const result = await services.runDeletion.delete(principal(req), req.params.run_id, {
        delete_db_data: q.delete_db_data ?? true,
        delete_input: q.delete_input ?? true,
        delete_output: q.delete_output ?? true,
        delete_logs: q.delete_logs ?? true,
      });
      return reply.status(202).send(result);
    },
  );
};

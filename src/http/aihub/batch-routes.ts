import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BatchDeletionJobResponse,
  BatchIdResponse,
  BatchInfo,
  BatchParams,
  CreateBatchBody,
  ListBatchesQuery,
  ListBatchesResponse,
  ListBatchFilesQuery,
  ListBatchFilesResponse,
} from '../../contract/aihub/batches.js';
import { errorResponses } from '../../contract/aihub/common.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Batches'];

export const batchRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v2/batches',
    {
      schema: {
        tags,
        operationId: 'createBatch',
        body: CreateBatchBody,
        response: { 200: BatchIdResponse, ...errorResponses },
      },
    },
    async (req) => services.batches.create(principal(req), req.body),
  );

  app.get(
    '/v2/batches',
    {
      schema: {
        tags,
        operationId: 'listBatches',
        querystring: ListBatchesQuery,
        response: { 200: ListBatchesResponse, ...errorResponses },
      },
    },
    async (req) => ({ batches: await services.batches.list(principal(req), req.query) }),
  );

  app.get(
    '/v2/batches/:batch_id',
    {
      schema: {
        tags,
        operationId: 'getBatch',
        params: BatchParams,
        response: { 200: BatchInfo, ...errorResponses },
      },
    },
    async (req) => services.batches.get(principal(req), req.params.batch_id),
  );

  app.delete(
    '/v2/batches/:batch_id',
    {
      schema: {
        tags,
        operationId: 'deleteBatch',
        params: BatchParams,
        response: { 202: BatchDeletionJobResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const jobId = await services.batches.delete(principal(req), req.params.batch_id);
      return reply.status(202).send({ job_id: jobId });
    },
  );

  app.get(
    '/v2/batches/:batch_id/files',
    {
      schema: {
        tags,
        operationId: 'listFiles',
        params: BatchParams,
        querystring: ListBatchFilesQuery,
        response: { 200: ListBatchFilesResponse, ...errorResponses },
      },
    },
    async (req) => services.batches.listFiles(principal(req), req.params.batch_id, req.query),
  );
};

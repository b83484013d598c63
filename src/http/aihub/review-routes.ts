import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import {
  ResumeBody,
  ReviewFile,
  ReviewFileBody,
  ReviewFileParams,
  ReviewResponse,
} from '../../contract/aihub/review.js';
import { RunObject, RunParams } from '../../contract/aihub/runs.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Review'];

/** Human review of runs stopped at the checkpoint (SPEC §8). */
export const reviewRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v2/apps/runs/:run_id/review',
    {
      schema: {
        tags,
        operationId: 'getRunReview',
        params: RunParams,
        response: { 200: ReviewResponse, ...errorResponses },
      },
    },
    async (req) => services.review.get(principal(req), req.params.run_id),
  );

  app.patch(
    '/v2/apps/runs/:run_id/review/files/:file_index',
    {
      schema: {
        tags,
        operationId: 'reviewRunFile',
        params: ReviewFileParams,
        body: ReviewFileBody,
        response: { 200: ReviewFile, ...errorResponses },
      },
    },
    async (req) =>
      services.review.reviewFile(
        principal(req),
        req.params.run_id,
        req.params.file_index,
        req.body,
      ),
  );

  app.post(
    '/v2/apps/runs/:run_id/resume',
    {
      schema: {
        tags,
        operationId: 'resumeRun',
        params: RunParams,
        body: ResumeBody,
        response: { 200: RunObject, ...errorResponses },
      },
      // The body is optional (`{}` when absent): `POST …/resume` with none, as for cancel.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req) => services.review.resume(principal(req), req.params.run_id, req.body),
  );
};

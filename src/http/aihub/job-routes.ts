import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, JobIdParams, JobStatusResponse } from '../../contract/aihub/common.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

export const jobRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const schema = (operationId: string) => ({
    tags: ['Jobs'],
    operationId,
    params: JobIdParams,
    response: { 200: JobStatusResponse, ...errorResponses },
  });
  app.get('/v2/jobs/:job_id', { schema: schema('jobStatus') }, async (req) =>
    services.jobs.status(principal(req), req.params.job_id),
  );
  // Kept for AI Hub clients that poll batch jobs here.
  app.get('/v2/batches/jobs/:job_id', { schema: schema('pollBatchesJob') }, async (req) =>
    services.jobs.status(principal(req), req.params.job_id),
  );
};

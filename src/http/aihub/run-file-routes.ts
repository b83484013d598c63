import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import { RunParams } from '../../contract/aihub/runs.js';
import { RunFileParams, RunFilesQuery, RunFilesResponse } from '../../contract/aihub/run-files.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Runs'];

/** A run's input files: outcomes and bytes (Runbox extension). */
export const runFileRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v2/apps/runs/:run_id/files',
    {
      schema: {
        tags,
        operationId: 'listRunFiles',
        description: "The run's input files with their outcome, by file index (500 a page).",
        params: RunParams,
        querystring: RunFilesQuery,
        response: { 200: RunFilesResponse, ...errorResponses },
      },
    },
    async (req) => services.runFiles.list(principal(req), req.params.run_id, req.query.offset),
  );

  app.get(
    '/v2/apps/runs/:run_id/files/:file_index/content',
    {
      schema: {
        tags,
        operationId: 'getRunFileContent',
        description: "An input file's bytes, with a media type from its name.",
        params: RunFileParams,
        response: { 200: { description: 'the file' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const f = await services.runFiles.content(
        principal(req),
        req.params.run_id,
        req.params.file_index,
      );
      return reply
        .header('content-type', f.contentType)
        .header('content-length', f.size)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(f.name)}`)
        .send(f.body);
    },
  );
};

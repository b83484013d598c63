import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BatchFileParams,
  CreateMultipartBody,
  FinishMultipartBody,
  MultipartPartResponse,
  MultipartSessionResponse,
  PartParams,
  SessionParams,
} from '../../contract/aihub/batches.js';
import { errorResponses } from '../../contract/aihub/common.js';
import { declaredLength, passRawBodies, rawBody } from '../raw-body.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Batches'];
const binaryBody = {
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};

/** Routes whose bodies are file bytes: streamed, never parsed or buffered. */
export const batchUploadRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  passRawBodies(app);

  app.put(
    '/v2/batches/:batch_id/files/:filename',
    {
      schema: {
        tags,
        operationId: 'addFileToBatch',
        params: BatchFileParams,
        response: { 204: { description: 'Stored' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.batches.putFile(
        principal(req),
        req.params.batch_id,
        req.params.filename,
        rawBody(req),
        declaredLength(req),
      );
      return reply.status(204).send();
    },
  );

  app.delete(
    '/v2/batches/:batch_id/files/:filename',
    {
      schema: {
        tags,
        operationId: 'deleteFileFromBatch',
        params: BatchFileParams,
        response: { 202: { description: 'Deletion accepted; see Location' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const jobId = await services.batches.deleteFile(
        principal(req),
        req.params.batch_id,
        req.params.filename,
      );
      return reply.status(202).header('Location', `/api/v2/jobs/${jobId}`).send();
    },
  );

  app.put(
    '/v2/batches/multipart-upload/sessions/:session_id/parts/:part_num',
    {
      schema: {
        tags,
        operationId: 'uploadMultipartPart',
        params: PartParams,
        response: { 201: MultipartPartResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const part = await services.uploads.putPart(
        principal(req),
        req.params.session_id,
        req.params.part_num,
        rawBody(req),
      );
      return reply.status(201).send(part);
    },
  );
  void binaryBody;
};

export const multipartRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    '/v2/batches/multipart-upload',
    {
      schema: {
        tags,
        operationId: 'createMultipartUploadSession',
        body: CreateMultipartBody,
        response: { 201: MultipartSessionResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { batch_id, filename, file_size } = req.body;
      const session = await services.uploads.create(principal(req), {
        batch_id,
        filename,
        file_size: Number(file_size),
      });
      return reply
        .status(201)
        .header('Location', `/api/v2/batches/multipart-upload/sessions/${session.session_id}`)
        .send(session);
    },
  );

  app.post(
    '/v2/batches/multipart-upload/sessions/:session_id',
    {
      schema: {
        tags,
        operationId: 'commitMultipartUploadSession',
        params: SessionParams,
        body: FinishMultipartBody,
        response: { 201: { description: 'Committed or aborted' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.uploads.finish(principal(req), req.params.session_id, req.body);
      return reply.status(201).send();
    },
  );
};

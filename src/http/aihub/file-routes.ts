import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import { FilePathParams, FolderListing, ReadFileQuery } from '../../contract/aihub/files.js';
import { parseByteRange } from '../../domain/byte-range.js';
import { declaredLength, passRawBodies, rawBody } from '../raw-body.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Files'];

/** The Files API over workspace drives; bodies are streamed both ways. */
export const fileRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  passRawBodies(app);

  app.get(
    '/v2/files/*',
    {
      exposeHeadRoute: false,
      schema: {
        tags,
        operationId: 'readFile',
        params: FilePathParams,
        querystring: ReadFileQuery,
        response: {
          200: {
            description: 'The whole file (application/octet-stream), or a folder listing (JSON).',
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'application/json': { schema: FolderListing },
            },
          },
          206: {
            description: 'The requested byte range.',
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const path = req.params['*'];
      if (req.query['expect-node-type'] === 'folder') {
        return reply.type('application/json').send(await services.files.listFolder(p, path));
      }
      const { stat, range, body } = await services.files.readFile(p, path, (size) =>
        parseByteRange(req.headers.range, size),
      );
      void reply
        .type('application/octet-stream')
        .header('Last-Modified', new Date(stat.modifiedAt).toUTCString())
        .header('Accept-Ranges', 'bytes');
      if (range) {
        return reply
          .status(206)
          .header('Content-Range', `bytes ${range.start}-${range.end}/${stat.size}`)
          .header('Content-Length', range.end - range.start + 1)
          .send(body);
      }
      return reply.header('Content-Length', stat.size).send(body);
    },
  );

  app.head(
    '/v2/files/*',
    {
      schema: {
        tags,
        operationId: 'getFileMetadata',
        params: FilePathParams,
        response: { 200: { description: 'Metadata in headers' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const stat = await services.files.stat(principal(req), req.params['*']);
      return reply
        .type(stat.kind === 'folder' ? 'application/json' : 'application/octet-stream')
        .header('Content-Length', stat.size)
        .header('Last-Modified', new Date(stat.modifiedAt).toUTCString())
        .send();
    },
  );

  app.put(
    '/v2/files/*',
    {
      schema: {
        tags,
        operationId: 'writeFile',
        params: FilePathParams,
        response: {
          201: { description: 'Created (only with If-None-Match: *); Location names the file' },
          204: { description: 'Written' },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const ifNoneMatch = req.headers['if-none-match']?.trim() === '*';
      const path = req.params['*'];
      const { created } = await services.files.write(principal(req), path, rawBody(req), {
        ifNoneMatch,
        declaredLength: declaredLength(req),
      });
      if (created && ifNoneMatch) {
        // Each segment is encoded whole, so names with `?`, `#` or `%` lead back to the file.
        const location = path.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
        return reply.status(201).header('Location', `/api/v2/files/${location}`).send();
      }
      return reply.status(204).send();
    },
  );

  app.delete(
    '/v2/files/*',
    {
      schema: {
        tags,
        operationId: 'deleteFileOrFolder',
        params: FilePathParams,
        response: {
          202: { description: 'Deletion accepted; Location names the job' },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const jobId = await services.files.delete(principal(req), req.params['*']);
      return reply.status(202).header('Location', `/api/v2/jobs/${jobId}`).send();
    },
  );
};

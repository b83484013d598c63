import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppInfo,
  AppParams,
  AppVersionInfo,
  ListAppsQuery,
  ListAppsResponse,
  ListVersionsResponse,
} from '../../contract/aihub/apps.js';
import { errorResponses } from '../../contract/aihub/common.js';
import { passRawBodies, rawBody } from '../raw-body.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Apps'];

/** Publishing takes the package archive as the raw body (tar.gz or zip). */
export const appPublishRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  passRawBodies(app);
  app.post(
    '/v2/apps',
    {
      schema: {
        tags,
        operationId: 'publishApp',
        description:
          'Publish an app version: the body is a .tar.gz or .zip package with runbox.app.json at its root.',
        response: { 201: AppVersionInfo, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await services.apps.publish(principal(req), rawBody(req))),
  );
};

export const appRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v2/apps',
    {
      schema: {
        tags,
        operationId: 'listApps',
        querystring: ListAppsQuery,
        response: { 200: ListAppsResponse, ...errorResponses },
      },
    },
    async (req) => ({ apps: await services.apps.list(principal(req), req.query) }),
  );

  app.get(
    '/v2/apps/:app_id',
    {
      schema: {
        tags,
        operationId: 'getApp',
        params: AppParams,
        response: { 200: AppInfo, ...errorResponses },
      },
    },
    async (req) => services.apps.get(principal(req), req.params.app_id),
  );

  app.get(
    '/v2/apps/:app_id/versions',
    {
      schema: {
        tags,
        operationId: 'listAppVersions',
        params: AppParams,
        response: { 200: ListVersionsResponse, ...errorResponses },
      },
    },
    async (req) => ({ versions: await services.apps.versions(principal(req), req.params.app_id) }),
  );

  app.delete(
    '/v2/apps/:app_id',
    {
      schema: {
        tags,
        operationId: 'deleteApp',
        params: AppParams,
        response: { 204: { description: 'Deleted' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      await services.apps.delete(principal(req), req.params.app_id);
      return reply.status(204).send();
    },
  );
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreatedTokenResponse,
  CreateOrgUserBody,
  CreateTokenBody,
  CreateWorkspaceBody,
  ListOrgUsersResponse,
  ListTokensResponse,
  ListWorkspacesResponse,
  OrgUser,
  TokenParams,
  UserParams,
  WorkspaceObject,
} from '../../contract/aihub/admin.js';
import { errorResponses } from '../../contract/aihub/common.js';
import { principal } from '../request-context.js';
import type { Services } from './services.js';

const tags = ['Admin'];

/** Org administration: users, service accounts, tokens, workspaces (org admins only). */
export const adminRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const s = services.orgAdmin;
  app.get(
    '/v2/admin/users',
    {
      schema: {
        tags,
        operationId: 'listOrgUsers',
        response: { 200: ListOrgUsersResponse, ...errorResponses },
      },
    },
    async (req) => s.users(principal(req)),
  );
  app.post(
    '/v2/admin/users',
    {
      schema: {
        tags,
        operationId: 'createOrgUser',
        description: 'A person (with a personal workspace) or a service account, in this org.',
        body: CreateOrgUserBody,
        response: { 201: OrgUser, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await s.createUser(principal(req), req.body)),
  );
  app.get(
    '/v2/admin/users/:user_id/tokens',
    {
      schema: {
        tags,
        operationId: 'listUserTokens',
        params: UserParams,
        response: { 200: ListTokensResponse, ...errorResponses },
      },
    },
    async (req) => s.tokens(principal(req), req.params.user_id),
  );
  app.post(
    '/v2/admin/users/:user_id/tokens',
    {
      schema: {
        tags,
        operationId: 'createUserToken',
        description: 'A new API token of the user; its value is in this answer only.',
        params: UserParams,
        body: CreateTokenBody,
        response: { 201: CreatedTokenResponse, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await s.createToken(principal(req), req.params.user_id, req.body)),
  );
  app.delete(
    '/v2/admin/tokens/:token_id',
    {
      schema: {
        tags,
        operationId: 'revokeToken',
        params: TokenParams,
        response: { 204: { description: 'revoked' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      await s.revokeToken(principal(req), req.params.token_id);
      return reply.code(204).send();
    },
  );
  app.get(
    '/v2/admin/workspaces',
    {
      schema: {
        tags,
        operationId: 'listWorkspaces',
        response: { 200: ListWorkspacesResponse, ...errorResponses },
      },
    },
    async (req) => s.workspaces(principal(req)),
  );
  app.post(
    '/v2/admin/workspaces',
    {
      schema: {
        tags,
        operationId: 'createWorkspace',
        description: 'A shared workspace of the org.',
        body: CreateWorkspaceBody,
        response: { 201: WorkspaceObject, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await s.createWorkspace(principal(req), req.body)),
  );
};

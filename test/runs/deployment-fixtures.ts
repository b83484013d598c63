/**
 * Shared by the deployment suites (deployments-*.test.ts, and the retention and webhook suites
 * that run through a deployment): an app that echoes what it was given, and the calls of
 * `/api/v2/apps/deployments`, each checked on the way.
 */
import { expect } from 'vitest';
import type { DeploymentInfo } from '../../src/services/deployment-service.js';
import type { Harness } from '../helpers/harness.js';
import type { RunObject } from './run-helpers.js';
import { writeApp } from './test-apps.js';

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const DEPLOYMENTS = '/api/v2/apps/deployments';

export type DeploymentBody = Omit<DeploymentInfo, 'webhook_secret'> & { webhook_secret?: string };

/**
 * A node app that returns what it was given: its own version, `ctx.keys`, and for each secret in
 * `ctx.secrets` the SHA-256 of its value (null when empty), so a test can tell which value
 * arrived without the value appearing in any result.
 */
export function echoApp(version: string) {
  return writeApp(
    {
      name: 'echo',
      version,
      runtime: 'node',
      entry: 'index.mjs',
      keys: {
        currency: { type: 'string', default: 'EUR' },
        region: { type: 'string', default: 'us' },
        mode: { type: 'string', default: 'fast' },
      },
      secrets: ['API_TOKEN'],
    },
    {
      'index.mjs': `
import { createHash } from 'node:crypto';
export default async function (file, ctx) {
  const secrets = Object.fromEntries(Object.entries(ctx.secrets).map(([k, v]) => [
    k, typeof v === 'string' && v.length > 0 ? createHash('sha256').update(v).digest('hex') : null,
  ]));
  return [{ class_name: 'Echo', page_numbers: [1], fields: {
    version: ${JSON.stringify(version)},
    keys: JSON.stringify(ctx.keys),
    secrets: JSON.stringify(secrets),
  } }];
}
`,
    },
  );
}

/** The deployment calls, against the harness `harness()` returns. */
export function deploymentCalls(harness: () => Harness) {
  const create = (token: string, payload: Record<string, unknown>) =>
    harness().as(token, { method: 'POST', url: DEPLOYMENTS, payload });
  const get = (token: string, id: string) =>
    harness().as(token, { method: 'GET', url: `${DEPLOYMENTS}/${id}` });
  const patch = (token: string, id: string, payload: Record<string, unknown>) =>
    harness().as(token, { method: 'PATCH', url: `${DEPLOYMENTS}/${id}`, payload });
  const remove = (token: string, id: string) =>
    harness().as(token, { method: 'DELETE', url: `${DEPLOYMENTS}/${id}` });
  const runDeployment = (token: string, id: string, payload: Record<string, unknown>) =>
    harness().as(token, { method: 'POST', url: `${DEPLOYMENTS}/${id}/runs`, payload });

  async function createOk(token: string, payload: Record<string, unknown>) {
    const res = await create(token, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<DeploymentBody>();
  }
  async function getOk(token: string, id: string) {
    const res = await get(token, id);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<DeploymentBody>();
  }
  async function list(token: string, query = '') {
    const res = await harness().as(token, { method: 'GET', url: `${DEPLOYMENTS}${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ deployments: DeploymentBody[] }>().deployments;
  }
  async function runDeploymentOk(token: string, id: string, payload: Record<string, unknown>) {
    const res = await runDeployment(token, id, payload);
    expect(res.statusCode, res.body).toBe(202);
    return res.json<RunObject>();
  }

  return { create, get, patch, remove, runDeployment, createOk, getOk, list, runDeploymentOk };
}

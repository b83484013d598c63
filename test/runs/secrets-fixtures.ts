/**
 * Shared by the secrets suites: apps that print their secrets every way an app can, and the
 * calls of `/api/v2/aihub/secrets`.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { SecretInfo } from '../../src/services/secret-service.js';
import type { Harness } from '../helpers/harness.js';
import { writeApp } from './test-apps.js';

export const URL = '/api/v2/aihub/secrets';
export const VALUE = 'sk-live-7Hq2ZpX9wR4mN8';
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A node app that prints its secret every way an app can (ctx.log, console.log of the whole
 * object, its process's stdout and stderr, an error message for `throw` files) and returns
 * only digests of what it got.
 */
export function secretNodeApp() {
  return writeApp(
    {
      name: 'leaky-node',
      version: '1.0.0',
      runtime: 'node',
      entry: 'index.mjs',
      fields: [{ name: 'digests' }, { name: 'all filled' }],
    },
    {
      'index.mjs': `
import { createHash } from 'node:crypto';
export default async function (file, ctx) {
  ctx.log('token is ' + ctx.secrets.API_TOKEN);
  console.log('all secrets:', ctx.secrets);
  console.error('on stderr: %s', ctx.secrets.API_TOKEN);
  process.stdout.write('raw stdout ' + ctx.secrets.API_TOKEN + '\\n');
  if (file.name.includes('throw')) throw new Error('the service refused ' + ctx.secrets.API_TOKEN);
  const digests = Object.fromEntries(Object.entries(ctx.secrets).map(([k, v]) => [
    k, createHash('sha256').update(v).digest('hex'),
  ]));
  return [{ class_name: 'Secrets', page_numbers: [1], fields: {
    digests: JSON.stringify(digests),
    'all filled': Object.values(ctx.secrets).every((v) => typeof v === 'string' && v.length > 0),
  } }];
}
`,
    },
  );
}

/** A command app that prints its secret variables on stderr and returns their digests. */
export function secretCommandApp() {
  const script = `#!/bin/sh
digest() { printf %s "$1" | sha256sum | cut -c1-64; }
echo "token is $RUNBOX_SECRET_API_TOKEN" >&2
echo "all secrets: $RUNBOX_SECRETS" >&2
case "$RUNBOX_INPUT_NAME" in
  *fail*) echo "the service refused $RUNBOX_SECRET_API_TOKEN" >&2; exit 2 ;;
esac
printf '[{"class_name":"Env","page_numbers":[1],"fields":{"token digest":"%s","json digest":"%s"}}]' \\
  "$(digest "$RUNBOX_SECRET_API_TOKEN")" "$(digest "$RUNBOX_SECRETS")"
`;
  return writeApp(
    {
      name: 'leaky-command',
      version: '1.0.0',
      runtime: 'command',
      entry: 'run.sh',
      fields: [{ name: 'token digest' }, { name: 'json digest' }],
    },
    { 'run.sh': script },
    ['run.sh'],
  );
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** The secrets calls, against the harness `get()` returns. */
export function secretCalls(get: () => Harness) {
  const send = (token: string, method: 'POST' | 'PATCH' | 'DELETE', payload: unknown) =>
    get().as(token, { method, url: URL, payload: payload as Record<string, unknown> });
  /** A write as the reference has it: 200 with no body. */
  async function sendOk(token: string, method: 'POST' | 'PATCH' | 'DELETE', payload: unknown) {
    const res = await send(token, method, payload);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe('');
  }
  async function list(token: string, query = '') {
    const res = await get().as(token, { method: 'GET', url: `${URL}${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ secrets: SecretInfo[] }>().secrets;
  }
  const aliases = async (token: string, query = '') =>
    (await list(token, query)).map((s) => s.alias);
  /** The secret as an admin lists it. */
  async function one(alias: string) {
    const found = await list(get().tokens.alice, `?alias=${alias}`);
    expect(found).toHaveLength(1);
    return found[0]!;
  }
  const sealed = async (alias: string) =>
    (await get().runbox.store.secrets.get('acme', alias))?.sealed_value;

  return { send, sendOk, list, aliases, one, sealed };
}

/**
 * Org secrets (SPEC §4.1 `/v2/aihub/secrets`, §9): the reference's shape, admin-only writes,
 * who may list what, values given to node and command apps but never returned, logged or
 * stored in the clear, and runs that name a secret they may not have failing with a reason.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { systemSources } from '../../src/main.js';
import type { SecretInfo } from '../../src/services/secret-service.js';
import { describeEachBackend, POSTGRES_URL } from '../helpers/backends.js';
import { restartHarness, startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  expectError,
  fieldValues,
  getLogs,
  getRun,
  listRuns,
  matching,
  publishOk,
  results,
  startRunOk,
  waitForRun,
  type RunObject,
} from './run-helpers.js';
import { nodeApp, writeApp } from './test-apps.js';

const URL = '/api/v2/aihub/secrets';
const VALUE = 'sk-live-7Hq2ZpX9wR4mN8';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A node app that prints its secret every way an app can (ctx.log, console.log of the whole
 * object, its process's stdout and stderr, an error message for `throw` files) and returns
 * only digests of what it got.
 */
function secretNodeApp() {
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
function secretCommandApp() {
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
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

describeEachBackend('secrets', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const send = (token: string, method: 'POST' | 'PATCH' | 'DELETE', payload: unknown) =>
    h.as(token, { method, url: URL, payload: payload as Record<string, unknown> });
  /** A write as the reference has it: 200 with no body. */
  async function sendOk(token: string, method: 'POST' | 'PATCH' | 'DELETE', payload: unknown) {
    const res = await send(token, method, payload);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe('');
  }
  async function list(token: string, query = '') {
    const res = await h.as(token, { method: 'GET', url: `${URL}${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ secrets: SecretInfo[] }>().secrets;
  }
  const aliases = async (token: string, query = '') =>
    (await list(token, query)).map((s) => s.alias);
  /** The secret as an admin lists it. */
  async function one(alias: string) {
    const found = await list(h.tokens.alice, `?alias=${alias}`);
    expect(found).toHaveLength(1);
    return found[0]!;
  }
  const sealed = async (alias: string) =>
    (await h.runbox.store.secrets.get('acme', alias))?.sealed_value;

  it('creates, lists, updates and deletes in the shape of the reference, values write-only', async () => {
    let now = Date.UTC(2026, 1, 3, 10, 0, 0, 250);
    h = await startHarness(
      backend,
      { RUNBOX_WORKERS: 'false' },
      {
        clock: { now: () => now },
        ids: systemSources.ids,
      },
    );
    await h.runbox.admin.createUser({ id: 'carol', orgId: 'acme', role: 'admin' });
    const carol = (await h.runbox.admin.createToken('carol')).token;

    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      description: 'OCR service key',
      value: VALUE,
      allowed_workspaces_type: 'ALL',
      allowed_workspaces: ['shared'],
    });
    const expected: SecretInfo = {
      alias: 'ocr-token',
      description: 'OCR service key',
      allowed_workspaces_type: 'ALL',
      // "Required when SOME, otherwise ignored."
      allowed_workspaces: [],
      org: 'acme',
      created_at: now,
      created_by: 'alice',
      updated_at: now,
      last_updated_by: 'alice',
    };
    expect(await list(h.tokens.alice)).toEqual([expected]);
    expect(await list(h.tokens.alice, '?alias=ocr-token')).toEqual([expected]);
    expect(await list(h.tokens.alice, '?alias=other')).toEqual([]);
    const firstSeal = await sealed('ocr-token');

    // A change of description alone keeps the value (the sealed bytes are the same).
    now += 5_000;
    await sendOk(carol, 'PATCH', { alias: 'ocr-token', description: 'OCR key (prod)' });
    const described = {
      ...expected,
      description: 'OCR key (prod)',
      updated_at: now,
      last_updated_by: 'carol',
    };
    expect(await one('ocr-token')).toEqual(described);
    expect(await sealed('ocr-token')).toBe(firstSeal);

    // A new value is sealed anew; the rest stays.
    now += 5_000;
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', value: 'sk-live-rotated-value-2' });
    expect(await one('ocr-token')).toEqual({
      ...described,
      updated_at: now,
      last_updated_by: 'alice',
    });
    expect(await sealed('ocr-token')).not.toBe(firstSeal);

    // SOME needs workspaces, given now or kept from before; back to ALL forgets them.
    expectError(
      await send(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'SOME' }),
      400,
      'invalid-input',
    );
    expect(await one('ocr-token')).toMatchObject({ allowed_workspaces_type: 'ALL' });
    await sendOk(h.tokens.alice, 'PATCH', {
      alias: 'ocr-token',
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['shared', 'bob', 'shared'],
    });
    expect(await one('ocr-token')).toMatchObject({
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['shared', 'bob'],
    });
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces: ['bob'] });
    expect(await one('ocr-token')).toMatchObject({
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['bob'],
    });
    expectError(
      await send(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces: [] }),
      400,
      'invalid-input',
    );
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'ALL' });
    expect(await one('ocr-token')).toMatchObject({
      allowed_workspaces_type: 'ALL',
      allowed_workspaces: [],
    });
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'NONE' });
    const none = await one('ocr-token');
    expect(none).toEqual({
      ...described,
      allowed_workspaces_type: 'NONE',
      updated_at: now,
      last_updated_by: 'alice',
    });

    // Delete takes the alias in a JSON body.
    await sendOk(h.tokens.alice, 'DELETE', { alias: 'ocr-token' });
    expect(await list(h.tokens.alice)).toEqual([]);
    expect(await h.runbox.store.secrets.get('acme', 'ocr-token')).toBeUndefined();
    expectError(
      await send(h.tokens.alice, 'DELETE', { alias: 'ocr-token' }),
      404,
      'record-not-found',
    );
    // The alias is free again.
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      value: VALUE,
      allowed_workspaces_type: 'NONE',
    });
  });

  it('refuses bad input and writes by non-admins, changing nothing', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      value: VALUE,
      allowed_workspaces_type: 'SOME',
      allowed_workspaces: ['shared'],
    });
    const listBefore = await list(h.tokens.alice);
    const sealBefore = await sealed('ocr-token');
    const unchanged = async () => {
      expect(await list(h.tokens.alice)).toEqual(listBefore);
      expect(await sealed('ocr-token')).toBe(sealBefore);
    };

    // Members and service accounts may not write; another org does not see acme's secrets.
    for (const token of [h.tokens.bob, h.tokens.robot]) {
      for (const [method, payload] of [
        ['POST', { alias: 'mine', value: 'x', allowed_workspaces_type: 'ALL' }],
        ['POST', { alias: 'ocr-token', value: 'x', allowed_workspaces_type: 'ALL' }],
        ['PATCH', { alias: 'ocr-token', value: 'stolen-value' }],
        ['PATCH', { alias: 'ocr-token', allowed_workspaces_type: 'ALL' }],
        ['DELETE', { alias: 'ocr-token' }],
      ] as const) {
        expectError(await send(token, method, payload), 403, 'permission-denied');
      }
    }
    for (const [method, payload] of [
      ['PATCH', { alias: 'ocr-token', value: 'stolen-value' }],
      ['DELETE', { alias: 'ocr-token' }],
    ] as const) {
      expectError(await send(h.tokens.eve, method, payload), 404, 'record-not-found');
    }
    await unchanged();

    const create = (payload: Record<string, unknown>) => send(h.tokens.alice, 'POST', payload);
    for (const [payload, status, type] of [
      [{ alias: 'ocr-token', value: 'x', allowed_workspaces_type: 'ALL' }, 409, 'conflict'],
      [{ alias: 'new', value: 'x', allowed_workspaces_type: 'SOME' }, 400, 'invalid-input'],
      [
        { alias: 'new', value: 'x', allowed_workspaces_type: 'SOME', allowed_workspaces: [] },
        400,
        'invalid-input',
      ],
      [
        {
          alias: 'new',
          value: 'x',
          allowed_workspaces_type: 'SOME',
          allowed_workspaces: ['no-such-workspace'],
        },
        404,
        'record-not-found',
      ],
      [{ alias: 'new', value: 'x' }, 400, 'invalid-input'],
      [{ alias: 'new', value: 'x', allowed_workspaces_type: 'MANY' }, 400, 'invalid-input'],
      [{ alias: 'new', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: 'new', value: 5, allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: '', value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: 'has space', value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [{ alias: '../etc', value: 'x', allowed_workspaces_type: 'ALL' }, 400, 'invalid-input'],
      [
        { alias: 'a'.repeat(129), value: 'x', allowed_workspaces_type: 'ALL' },
        400,
        'invalid-input',
      ],
      [
        { alias: 'new', value: 'x'.repeat(64 * 1024 + 1), allowed_workspaces_type: 'ALL' },
        400,
        'invalid-input',
      ],
      [
        { alias: 'new', value: 'x', allowed_workspaces_type: 'ALL', colour: 1 },
        400,
        'invalid-input',
      ],
    ] as const) {
      expectError(await create(payload), status, type);
    }
    for (const [payload, status, type] of [
      [{ alias: 'nope', value: 'x' }, 404, 'record-not-found'],
      [{ value: 'x' }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', allowed_workspaces: [] }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', allowed_workspaces: ['no-such-workspace'] }, 404, 'record-not-found'],
      [{ alias: 'ocr-token', allowed_workspaces_type: 'EVERY' }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', value: 'x'.repeat(64 * 1024 + 1) }, 400, 'invalid-input'],
      [{ alias: 'ocr-token', colour: 1 }, 400, 'invalid-input'],
    ] as const) {
      expectError(await send(h.tokens.alice, 'PATCH', payload), status, type);
    }
    for (const [payload, status, type] of [
      [{ alias: 'nope' }, 404, 'record-not-found'],
      [{}, 400, 'invalid-input'],
      [{ alias: 'ocr-token', colour: 1 }, 400, 'invalid-input'],
    ] as const) {
      expectError(await send(h.tokens.alice, 'DELETE', payload), status, type);
    }
    expectError(await h.as(h.tokens.alice, { method: 'DELETE', url: URL }), 400, 'invalid-input');
    await unchanged();
    // The limit itself is allowed.
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'big',
      value: 'x'.repeat(64 * 1024),
      allowed_workspaces_type: 'ALL',
    });
  });

  it('lists everything for admins; members must name a workspace they may use', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    for (const [alias, type, workspaces] of [
      ['all-ws', 'ALL', undefined],
      ['some-shared', 'SOME', ['shared']],
      ['some-bob', 'SOME', ['bob']],
      ['some-alice', 'SOME', ['alice', 'shared']],
      ['none-ws', 'NONE', undefined],
    ] as const) {
      await sendOk(h.tokens.alice, 'POST', {
        alias,
        value: `${VALUE}-${alias}`,
        allowed_workspaces_type: type,
        ...(workspaces ? { allowed_workspaces: workspaces } : {}),
      });
    }
    expect(await aliases(h.tokens.alice)).toEqual([
      'all-ws',
      'none-ws',
      'some-alice',
      'some-bob',
      'some-shared',
    ]);
    expect(await aliases(h.tokens.alice, '?workspace=shared')).toEqual([
      'all-ws',
      'some-alice',
      'some-shared',
    ]);
    expect(await aliases(h.tokens.alice, '?workspace=bob')).toEqual(['all-ws', 'some-bob']);
    expect(await aliases(h.tokens.alice, '?alias=none-ws')).toEqual(['none-ws']);

    expectError(await h.as(h.tokens.bob, { method: 'GET', url: URL }), 403, 'permission-denied');
    expectError(
      await h.as(h.tokens.bob, { method: 'GET', url: `${URL}?alias=all-ws` }),
      403,
      'permission-denied',
    );
    expect(await aliases(h.tokens.bob, '?workspace=shared')).toEqual([
      'all-ws',
      'some-alice',
      'some-shared',
    ]);
    expect(await aliases(h.tokens.bob, '?workspace=bob')).toEqual(['all-ws', 'some-bob']);
    expect(await aliases(h.tokens.bob, '?workspace=shared&alias=some-shared')).toEqual([
      'some-shared',
    ]);
    expect(await aliases(h.tokens.bob, '?workspace=shared&alias=none-ws')).toEqual([]);
    expect(await aliases(h.tokens.robot, '?workspace=shared')).toEqual([
      'all-ws',
      'some-alice',
      'some-shared',
    ]);
    // Another member's personal workspace is not bob's to look into.
    expectError(
      await h.as(h.tokens.bob, { method: 'GET', url: `${URL}?workspace=alice` }),
      404,
      'record-not-found',
    );
    // Another org sees none of acme's secrets, however it asks.
    expect(await list(h.tokens.eve)).toEqual([]);
    expect(await list(h.tokens.eve, '?alias=all-ws')).toEqual([]);
    expectError(
      await h.as(h.tokens.eve, { method: 'GET', url: `${URL}?workspace=shared` }),
      404,
      'record-not-found',
    );
    const everything = await h.as(h.tokens.alice, { method: 'GET', url: URL });
    expect(everything.body).not.toContain(VALUE);
  });

  it('gives secrets to node and command apps; the value is in no response, log, event or row', async () => {
    h = await startHarness(backend);
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      value: VALUE,
      allowed_workspaces_type: 'ALL',
    });
    const node = await publishOk(h, h.tokens.alice, secretNodeApp());
    const command = await publishOk(h, h.tokens.alice, secretCommandApp());
    const batch = await createBatch(h, h.tokens.alice, {
      'a.txt': 'hello',
      'throw.txt': 'x',
      'fail.txt': 'y',
    });
    const settings = { keys: { secret: { API_TOKEN: 'ocr-token' } } };
    const nodeRun = await startRunOk(h, h.tokens.alice, {
      app_id: node.app_id,
      batch_id: batch,
      settings,
    });
    const commandRun = await startRunOk(h, h.tokens.alice, {
      app_id: command.app_id,
      batch_id: batch,
      settings,
    });
    for (const run of [nodeRun, commandRun]) {
      const done = await waitForRun(h, h.tokens.alice, run.id);
      expect(done.status, done.msg ?? '').toBe('COMPLETE');
    }

    // The node app got the value as ctx.secrets.
    const nodeFiles = (await results(h, h.tokens.alice, nodeRun.id)).files;
    expect(fieldValues(nodeFiles[0]!.documents[0]!.fields)).toEqual({
      digests: JSON.stringify({ API_TOKEN: sha256(VALUE) }),
      all_filled: 'true',
    });
    const thrown = nodeFiles.find((f) => f.original_file_name === 'throw.txt')!;
    expect(thrown.documents[0]!.fields[0]!.error_msg).toBe('the service refused [secret]');
    // The command app got RUNBOX_SECRET_API_TOKEN and RUNBOX_SECRETS (JSON).
    const commandFiles = (await results(h, h.tokens.alice, commandRun.id)).files;
    expect(fieldValues(commandFiles[0]!.documents[0]!.fields)).toEqual({
      token_digest: sha256(VALUE),
      json_digest: sha256(JSON.stringify({ API_TOKEN: VALUE })),
    });
    const failed = commandFiles.find((f) => f.original_file_name === 'fail.txt')!;
    expect(failed.documents[0]!.fields[0]!.error_msg).toMatch(
      /exited with code 2: the service refused \[secret\]$/,
    );

    // What the apps printed reached the log with the value replaced.
    const nodeLog = await getLogs(h, h.tokens.alice, nodeRun.id);
    expect(nodeLog).toContain('[a.txt] token is [secret]');
    expect(nodeLog).toContain("all secrets: { API_TOKEN: '[secret]' }");
    expect(nodeLog).toContain('the service refused [secret]');
    const commandLog = await getLogs(h, h.tokens.alice, commandRun.id);
    expect(commandLog).toContain('[a.txt] token is [secret]');
    expect(commandLog).toContain('all secrets: {"API_TOKEN":"[secret]"}');

    // Every body a user can fetch about these runs and the secret: never the value.
    const bodies: string[] = [nodeLog, commandLog];
    for (const run of [nodeRun, commandRun]) {
      bodies.push((await getRun(h, h.tokens.alice, run.id)).body);
      for (const q of [
        '',
        '?include_review_results=true&include_confidence_scores=true&include_validation_results=true&include_source_info=true',
      ]) {
        const res = await h.as(h.tokens.alice, {
          method: 'GET',
          url: `/api/v2/apps/runs/${run.id}/results${q}`,
        });
        expect(res.statusCode).toBe(200);
        bodies.push(res.body);
      }
      const events = await h.as(h.tokens.alice, {
        method: 'GET',
        url: `/api/v2/apps/runs/${run.id}/events`,
      });
      expect(events.statusCode).toBe(200);
      expect(events.body).toMatch(/event: status\ndata: .*"complete"/);
      bodies.push(events.body);
      const follow = await h.as(h.tokens.alice, {
        method: 'GET',
        url: `/api/v2/apps/runs/${run.id}/logs?follow=true`,
      });
      bodies.push(follow.body);
      const review = await h.as(h.tokens.alice, {
        method: 'GET',
        url: `/api/v2/apps/runs/${run.id}/review`,
      });
      bodies.push(review.body);
    }
    for (const url of ['/api/v2/apps/runs', URL, `${URL}?alias=ocr-token`, '/api/v2/apps']) {
      const res = await h.as(h.tokens.alice, { method: 'GET', url });
      expect(res.statusCode).toBe(200);
      bodies.push(res.body);
    }
    for (const body of bodies) expect(body).not.toContain(VALUE);

    // At rest: sealed in the column, and nowhere in the clear: not in any row of any table,
    // nor (SQLite) anywhere in the data directory.
    const row = await h.runbox.store.secrets.get('acme', 'ocr-token');
    expect(row?.sealed_value).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(row?.sealed_value).not.toContain(VALUE);
    expect(row?.sealed_value).not.toContain(Buffer.from(VALUE).toString('base64url'));
    if (backend === 'sqlite') {
      const files = filesUnder(h.config.dataDir);
      expect(files.some((f) => f.endsWith('.db') || f.endsWith('.sqlite'))).toBe(true);
      for (const file of files) {
        expect(readFileSync(file).includes(VALUE), file).toBe(false);
      }
    } else {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const schema = h.config.databaseSchema!;
        const tables = await client.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        );
        expect(tables.rows.map((t) => t.table_name)).toContain('secrets');
        for (const { table_name } of tables.rows) {
          const hits = await client.query(
            `SELECT 1 FROM "${schema}"."${table_name}" t WHERE t::text LIKE $1`,
            [`%${VALUE}%`],
          );
          expect(hits.rowCount, table_name).toBe(0);
        }
      } finally {
        await client.end();
      }
    }
  });

  it('redacts multi-line and JSON-escaped copies of a secret in logs, and secrets an app returns', async () => {
    h = await startHarness(backend);
    const pem =
      '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n"quoted" part\\end\n-----END KEY-----';
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'signing-key',
      value: pem,
      allowed_workspaces_type: 'ALL',
    });
    const app = writeApp(
      { name: 'pem-leaker', version: '1.0.0', runtime: 'node', entry: 'index.mjs' },
      {
        'index.mjs': `
export default async function (file, ctx) {
  console.log(ctx.secrets.KEY);
  ctx.log(JSON.stringify(ctx.secrets));
  return [{ fields: { key: ctx.secrets.KEY, note: 'not secret' } }];
}`,
      },
    );
    const { app_id } = await publishOk(h, h.tokens.alice, app);
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const run = await startRunOk(h, h.tokens.alice, {
      app_id,
      batch_id: batch,
      settings: { keys: { secret: { KEY: 'signing-key' } } },
    });
    expect((await waitForRun(h, h.tokens.alice, run.id)).status).toBe('COMPLETE');
    const log = await getLogs(h, h.tokens.alice, run.id);
    const body = (await results(h, h.tokens.alice, run.id)).files[0]!.documents[0]!.fields;
    const pieces = [...pem.split('\n'), JSON.stringify(pem).slice(1, -1)];
    for (const text of [log, JSON.stringify(body)]) {
      for (const piece of pieces) expect(text).not.toContain(piece);
    }
    expect(log).toContain('[secret]');
    const values = fieldValues(body);
    expect(values.note).toBe('not secret');
    expect(values.key).toContain('[secret]');
  });

  it('a run naming a missing, forbidden or unusable secret fails saying which; the server keeps working', async () => {
    h = await startHarness(backend);
    for (const [alias, type, workspaces] of [
      ['everywhere', 'ALL', undefined],
      ['nowhere', 'NONE', undefined],
      ['shared-only', 'SOME', ['shared']],
    ] as const) {
      await sendOk(h.tokens.alice, 'POST', {
        alias,
        value: `${VALUE}-${alias}`,
        allowed_workspaces_type: type,
        ...(workspaces ? { allowed_workspaces: workspaces } : {}),
      });
    }
    const { app_id } = await publishOk(h, h.tokens.alice, secretNodeApp());
    const batch = await createBatch(
      h,
      h.tokens.alice,
      { 'a.txt': 'a' },
      {
        name: 'in',
        workspace: 'shared',
      },
    );
    const run = async (secret: Record<string, string>, extra: Record<string, unknown> = {}) => {
      const started = await startRunOk(h, h.tokens.alice, {
        app_id,
        batch_id: batch,
        settings: { keys: { secret } },
        ...extra,
      });
      return waitForRun(h, h.tokens.alice, started.id);
    };

    const missing = await run({ API_TOKEN: 'everywhere', OTHER: 'no-such-alias' });
    expect(missing).toMatchObject({ status: 'FAILED', msg: matching(/no-such-alias/) });
    expect(missing.msg).toMatch(/does not exist/);
    expect(await getLogs(h, h.tokens.alice, missing.id)).toMatch(
      /\[status\] failed: .*Secret alias no-such-alias \(for key OTHER\) does not exist/,
    );
    // The app never ran: none of its lines are in the log.
    expect(await getLogs(h, h.tokens.alice, missing.id)).not.toContain('token is');

    const forbidden = await run({ API_TOKEN: 'nowhere' });
    expect(forbidden).toMatchObject({
      status: 'FAILED',
      msg: matching(/nowhere.*may not be used/),
    });
    // SOME: only in the workspaces it names (the run's output workspace).
    const elsewhere = await run({ API_TOKEN: 'shared-only' });
    expect(elsewhere).toMatchObject({
      status: 'FAILED',
      msg: matching(/shared-only.*may not be used in workspace alice/),
    });
    const inShared = await run({ API_TOKEN: 'shared-only' }, { output_workspace: 'shared' });
    expect(inShared.status, inShared.msg ?? '').toBe('COMPLETE');
    expect(
      fieldValues((await results(h, h.tokens.alice, inShared.id)).files[0]!.documents[0]!.fields)
        .digests,
    ).toBe(JSON.stringify({ API_TOKEN: sha256(`${VALUE}-shared-only`) }));

    // A secret deleted after a deployment was set up to use it fails the deployment's next run.
    const deployment = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name: 'd', app_id, keys: { secret: { API_TOKEN: 'everywhere' } } },
    });
    expect(deployment.statusCode, deployment.body).toBe(201);
    const deploymentId = deployment.json<{ id: string }>().id;
    const runDeployment = async () => {
      const res = await h.as(h.tokens.alice, {
        method: 'POST',
        url: `/api/v2/apps/deployments/${deploymentId}/runs`,
        payload: { batch_id: batch },
      });
      expect(res.statusCode, res.body).toBe(202);
      return waitForRun(h, h.tokens.alice, res.json<RunObject>().id);
    };
    expect((await runDeployment()).status).toBe('COMPLETE');
    expect((await send(h.tokens.alice, 'DELETE', { alias: 'everywhere' })).statusCode).toBe(200);
    expect(await runDeployment()).toMatchObject({
      status: 'FAILED',
      msg: matching(/everywhere/),
    });

    // The server is fine: health, and a run with no secrets, and one with a good one.
    expect((await h.runbox.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const probe = await publishOk(h, h.tokens.alice, nodeApp());
    const plain = await startRunOk(h, h.tokens.alice, { app_id: probe.app_id, batch_id: batch });
    expect((await waitForRun(h, h.tokens.alice, plain.id)).status).toBe('COMPLETE');
    expect((await run({ API_TOKEN: 'shared-only' }, { output_workspace: 'shared' })).status).toBe(
      'COMPLETE',
    );
    const failedOnes = await listRuns(h, h.tokens.alice, '?status=FAILED');
    expect(failedOnes.map((r) => r.id).sort()).toHaveLength(4);
  });

  it('keeps the server key in <dataDir>/secret-key (0600) across restarts, unless RUNBOX_SECRET_KEY is set', async () => {
    h = await startHarness(backend);
    const keyFile = join(h.config.dataDir, 'secret-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8');
    expect(Buffer.from(key.trim(), 'base64')).toHaveLength(32);
    // The same value sealed twice differs (a fresh nonce each time).
    for (const alias of ['ocr-token', 'copy']) {
      await sendOk(h.tokens.alice, 'POST', { alias, value: VALUE, allowed_workspaces_type: 'ALL' });
    }
    expect(await sealed('ocr-token')).not.toBe(await sealed('copy'));
    const { app_id } = await publishOk(h, h.tokens.alice, secretNodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const runWithSecret = async () => {
      const started = await startRunOk(h, h.tokens.alice, {
        app_id,
        batch_id: batch,
        settings: { keys: { secret: { API_TOKEN: 'ocr-token' } } },
      });
      return waitForRun(h, h.tokens.alice, started.id);
    };
    const digestOf = async (run: RunObject) =>
      fieldValues((await results(h, h.tokens.alice, run.id)).files[0]!.documents[0]!.fields)
        .digests;

    // A restart reads the same key file and opens what it sealed before.
    h = await restartHarness(h);
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const afterRestart = await runWithSecret();
    expect(afterRestart.status, afterRestart.msg ?? '').toBe('COMPLETE');
    expect(await digestOf(afterRestart)).toBe(JSON.stringify({ API_TOKEN: sha256(VALUE) }));

    // Another key cannot open it: the run fails at once naming the secret (it is not retried
    // as an engine error), and setting the value again under the new key mends it.
    h = await restartHarness(h, { secretKey: Buffer.alloc(32, 7).toString('base64') });
    const wrongKey = await runWithSecret();
    expect(wrongKey).toMatchObject({
      status: 'FAILED',
      msg: matching(
        /Secret ocr-token \(for key API_TOKEN\) cannot be opened with this server's key/,
      ),
    });
    const log = await getLogs(h, h.tokens.alice, wrongKey.id);
    expect(log.match(/\[status\] running:/g)).toHaveLength(1);
    expect(log).not.toContain('token is');
    await sendOk(h.tokens.alice, 'PATCH', { alias: 'ocr-token', value: 'sk-live-new-key-value' });
    const mended = await runWithSecret();
    expect(mended.status, mended.msg ?? '').toBe('COMPLETE');
    expect(await digestOf(mended)).toBe(
      JSON.stringify({ API_TOKEN: sha256('sk-live-new-key-value') }),
    );
    await h.close();

    // With RUNBOX_SECRET_KEY no key file is written, and the configured key seals and opens.
    h = await startHarness(backend, { RUNBOX_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') });
    expect(() => statSync(join(h.config.dataDir, 'secret-key'))).toThrow(/ENOENT/);
    await sendOk(h.tokens.alice, 'POST', {
      alias: 'ocr-token',
      value: VALUE,
      allowed_workspaces_type: 'ALL',
    });
    const configured = await publishOk(h, h.tokens.alice, secretNodeApp());
    const configuredBatch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const started = await startRunOk(h, h.tokens.alice, {
      app_id: configured.app_id,
      batch_id: configuredBatch,
      settings: { keys: { secret: { API_TOKEN: 'ocr-token' } } },
    });
    const done = await waitForRun(h, h.tokens.alice, started.id);
    expect(done.status, done.msg ?? '').toBe('COMPLETE');
    expect(await digestOf(done)).toBe(JSON.stringify({ API_TOKEN: sha256(VALUE) }));
  });
});

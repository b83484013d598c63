/**
 * Secrets reach node and command apps and nothing else: never in a response, log, event, row
 * or file (printed, escaped or returned copies are redacted); runs naming unusable secrets
 * fail saying which; the server key is kept safe across restarts.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend, POSTGRES_URL } from '../helpers/backends.js';
import { restartHarness, startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
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
import {
  URL,
  VALUE,
  sha256,
  secretNodeApp,
  secretCommandApp,
  filesUnder,
  secretCalls,
} from './secrets-fixtures.js';
import { nodeApp, writeApp } from './test-apps.js';

describeEachBackend('secrets: given to apps, never shown', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  const { send, sendOk, sealed } = secretCalls(() => h);

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

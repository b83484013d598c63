/**
 * The SDK calls the dashboard needs, against a real Runbox on each backend: who the token is
 * (`me`), a run's input files with their outcomes and bytes, and org administration.
 */
import { afterEach, expect, it } from 'vitest';
import { RunboxError } from '../../client/src/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createBatch, publishExampleApps, SAMPLES_DIR } from '../runs/run-helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { client } from './sdk-helpers.js';

const rejection = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunboxError);
  const e = err as RunboxError;
  return { status: e.status, type: e.type };
};

describeEachBackend('SDK: the dashboard’s calls', (backend) => {
  let h: Harness;
  afterEach(async () => {
    h?.runbox.app.server.closeAllConnections();
    await h?.close();
  });

  it('me, and a run’s input files: outcomes by index, bytes with their media type', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    expect(await runbox.me()).toMatchObject({ user_id: 'alice', context: { role: 'admin' } });
    const { 'invoice-extractor': appId } = await publishExampleApps(h);
    const pdf = readFileSync(join(SAMPLES_DIR, 'invoice-1003.pdf'));
    const batchId = await createBatch(h, h.tokens.alice, {
      'a.txt': readFileSync(join(SAMPLES_DIR, 'invoice-1001.txt')),
      'b.pdf': pdf,
    });
    const run = await runbox.apps.runs.create({ app_id: appId!, batch_id: batchId });
    await runbox.apps.runs.wait(run.id, { timeoutMs: 20_000 });

    const { files, has_more } = await runbox.apps.runs.files(run.id);
    expect(has_more).toBe(false);
    expect(files.map((f) => [f.file_index, f.name, f.state, f.error])).toEqual([
      [0, 'a.txt', 'done', null],
      [1, 'b.pdf', 'done', null],
    ]);
    expect(files[1]!.size).toBe(pdf.length);
    expect((await runbox.apps.runs.files(run.id, { offset: 1 })).files.map((f) => f.name)).toEqual([
      'b.pdf',
    ]);

    const content = await runbox.apps.runs.fileContent(run.id, 1);
    expect(content.type).toBe('application/pdf');
    expect(Buffer.from(content.bytes).equals(pdf)).toBe(true);
    expect((await runbox.apps.runs.fileContent(run.id, 0)).type).toMatch(/^text\/plain/);

    // Unknown runs and files, bad indexes, other orgs: refused.
    expect(await rejection(runbox.apps.runs.fileContent(run.id, 2))).toEqual({
      status: 404,
      type: 'record-not-found',
    });
    expect(await rejection(runbox.apps.runs.files('nope'))).toEqual({
      status: 404,
      type: 'record-not-found',
    });
    const bad = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${run.id}/files/-1/content`,
    });
    expect([bad.statusCode, bad.json<{ type: string }>().type]).toEqual([400, 'invalid-input']);
    const eve = await client(h, h.tokens.eve);
    expect(await rejection(eve.apps.runs.fileContent(run.id, 0))).toEqual({
      status: 404,
      type: 'record-not-found',
    });
    expect(await rejection(eve.apps.runs.files(run.id))).toEqual({
      status: 404,
      type: 'record-not-found',
    });
  });

  it('admin: users, tokens (value once, revoke), workspaces; members refused', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    await runbox.admin.createUser({ id: 'ci-bot', kind: 'service' });
    expect((await runbox.admin.users()).users.map((u) => u.id)).toEqual([
      'alice',
      'bob',
      'ci-bot',
      'robot',
    ]);
    const t = await runbox.admin.createToken('ci-bot', { name: 'nightly' });
    const bot = await client(h, t.token);
    expect((await bot.me()).user_id).toBe('ci-bot');
    expect((await runbox.admin.tokens('ci-bot')).tokens.map((x) => x.name)).toEqual(['nightly']);
    await runbox.admin.revokeToken(t.id);
    expect(await rejection(bot.me())).toEqual({ status: 401, type: 'token-not-valid' });
    expect((await runbox.admin.createWorkspace('Finance')).name).toBe('Finance');
    expect((await runbox.admin.workspaces()).workspaces.map((w) => w.name)).toContain('Finance');
    const bob = await client(h, h.tokens.bob);
    expect(await rejection(bob.admin.users())).toEqual({ status: 403, type: 'permission-denied' });
    expect(await rejection(bob.admin.createWorkspace('Mine'))).toEqual({
      status: 403,
      type: 'permission-denied',
    });
    expect((await runbox.admin.workspaces()).workspaces.map((w) => w.name)).not.toContain('Mine');
  });
});

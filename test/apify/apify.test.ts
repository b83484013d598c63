/**
 * The Apify API v2 dialect (SPEC §5): actors are apps, runs carry Apify field names and
 * statuses, errors come as {error:{type,message}}; plain HTTP for every endpoint and error
 * (the real client packages are in apify-client.test.ts).
 */
import type { LightMyRequestResponse } from 'fastify';
import { gzipSync } from 'node:zlib';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createBatch, listen, publishOk, stream, writeFolder } from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';

interface ApifyRun {
  id: string;
  actId: string;
  userId: string;
  status: string;
  statusMessage: string;
  startedAt: string;
  finishedAt: string | null;
  defaultDatasetId: string;
  defaultKeyValueStoreId: string;
  options: { timeoutSecs: number; build: string };
  stats: { durationMillis: number };
  meta: { origin: string };
}
interface RunList {
  total: number;
  offset: number;
  limit: number;
  count: number;
  desc: boolean;
  items: ApifyRun[];
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED-OUT', 'ABORTED'];

function expectApifyError(res: LightMyRequestResponse, status: number, type: string): string {
  const body = res.json<{ error?: { type?: string; message?: unknown } }>();
  expect({ status: res.statusCode, type: body.error?.type }, res.body).toEqual({ status, type });
  expect(typeof body.error?.message).toBe('string');
  return body.error!.message as string;
}

describeEachBackend('Apify v2 dialect', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const get = (token: string, url: string) => h.as(token, { method: 'GET', url });
  const data = <T>(res: LightMyRequestResponse, status = 200): T => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return res.json<{ data: T }>().data;
  };
  async function start(
    token: string,
    actor: string,
    payload: unknown,
    query = '',
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) {
    return h.as(token, {
      method: 'POST',
      url: `/v2/actors/${actor}/runs${query}`,
      payload:
        typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
      headers,
    });
  }
  async function finished(token: string, id: string): Promise<ApifyRun> {
    for (;;) {
      const run = data<ApifyRun>(await get(token, `/v2/actor-runs/${id}?waitForFinish=10`));
      if (TERMINAL.includes(run.status)) return run;
    }
  }

  it('serves an app as an actor by id or owner~name on both prefixes; unknown → 404, no token → 401', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const byId = data<{ id: string; name: string; username: string }>(
      await get(h.tokens.bob, `/v2/actors/${app_id}`),
    );
    expect(byId).toMatchObject({ id: app_id, name: 'probe', username: 'alice' });
    expect(data(await get(h.tokens.bob, '/v2/acts/alice~probe'))).toEqual(byId);
    expect(data(await get(h.tokens.alice, '/v2/actors/~probe'))).toEqual(byId);
    // `~name` is the caller's own: bob has no app named probe.
    expectApifyError(await get(h.tokens.bob, '/v2/actors/~probe'), 404, 'record-not-found');
    expectApifyError(await get(h.tokens.bob, '/v2/actors/bob~probe'), 404, 'record-not-found');
    expectApifyError(await get(h.tokens.eve, `/v2/actors/${app_id}`), 404, 'record-not-found');
    const anon = await h.runbox.app.inject({ method: 'GET', url: `/v2/actors/${app_id}` });
    expectApifyError(anon, 401, 'token-not-provided');
    expectApifyError(await get(h.tokens.alice, '/v2/nothing-here'), 404, 'record-not-found');
    // Apify clients may send the token as ?token= (that dialect only).
    const byQuery = await h.runbox.app.inject({
      method: 'GET',
      url: `/v2/actors/${app_id}?token=${encodeURIComponent(h.tokens.bob)}`,
    });
    expect(data(byQuery)).toEqual(byId);
    // Apify clients read the limit from every answer.
    expect(byQuery.headers['x-ratelimit-limit']).toMatch(/^[1-9]\d*$/);
    const wrong = await h.runbox.app.inject({
      method: 'GET',
      url: `/v2/actors/${app_id}?token=nope`,
    });
    expectApifyError(wrong, 401, 'token-not-valid');
    const aihub = await h.runbox.app.inject({
      method: 'GET',
      url: `/api/v2/apps/${app_id}?token=${encodeURIComponent(h.tokens.bob)}`,
    });
    expect(aihub.statusCode).toBe(401);
  });

  it('starts a run over a JSON input (201, Location, waitForFinish) and shows it the Apify way', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const res = await start(
      h.tokens.alice,
      'alice~probe',
      { text: 'one two three' },
      '?waitForFinish=30&timeout=120&memory=256',
    );
    const run = data<ApifyRun>(res, 201);
    expect(res.headers.location).toBe(`/v2/actor-runs/${run.id}`);
    expect(run).toMatchObject({
      actId: app_id,
      userId: 'alice',
      status: 'SUCCEEDED',
      defaultDatasetId: run.id,
      defaultKeyValueStoreId: run.id,
      options: { timeoutSecs: 120, build: '1.0.0' },
      meta: { origin: 'API' },
    });
    expect(new Date(run.startedAt).toISOString()).toBe(run.startedAt);
    expect(run.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(data(await get(h.tokens.alice, `/v2/actor-runs/${run.id}`))).toMatchObject({
      id: run.id,
      status: 'SUCCEEDED',
    });

    // The input is the one file of the run's dataset.
    const items = await get(h.tokens.alice, `/v2/actor-runs/${run.id}/dataset/items`);
    expect(items.statusCode, items.body).toBe(200);
    expect(items.headers['x-apify-pagination-total']).toBe('1');
    const [item] = items.json<Record<string, unknown>[]>();
    expect(item).toMatchObject({ fileName: 'INPUT.json', className: 'Note' });
    expect(Object.values(item!)).toContain('3');

    const log = await get(h.tokens.alice, `/v2/actor-runs/${run.id}/log`);
    expect(log.statusCode).toBe(200);
    expect(log.headers['content-type']).toMatch(/^text\/plain/);
    expect(log.body).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[status\] queued/m);
    expect(log.body).toMatch(/\[status\] complete/);

    // Someone else's org does not see it.
    expectApifyError(await get(h.tokens.eve, `/v2/actor-runs/${run.id}`), 404, 'record-not-found');
  });

  it('runs over {batch_id} or {input_dir}; other bodies become INPUT + extension; bad bodies are 400', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a b', 'b.txt': 'c' });
    const overBatch = data<ApifyRun>(await start(h.tokens.alice, app_id, { batch_id: batch }), 201);
    expect((await finished(h.tokens.alice, overBatch.id)).status).toBe('SUCCEEDED');
    const names = (await get(h.tokens.alice, `/v2/actor-runs/${overBatch.id}/dataset/items`))
      .json<{ fileName: string }[]>()
      .map((i) => i.fileName);
    expect(names).toEqual(['a.txt', 'b.txt']);

    const folder = 'acme/alice/fs/Runbox Drive/in';
    await writeFolder(h, h.tokens.alice, folder, { 'f.txt': 'f g' });
    const overDir = data<ApifyRun>(
      await start(h.tokens.alice, app_id, { input_dir: folder }, '?waitForFinish=30'),
      201,
    );
    expect((await finished(h.tokens.alice, overDir.id)).status).toBe('SUCCEEDED');
    expect(
      (await get(h.tokens.alice, `/v2/actor-runs/${overDir.id}/dataset/items`))
        .json<{ fileName: string }[]>()
        .map((i) => i.fileName),
    ).toEqual(['f.txt']);

    const text = await start(h.tokens.alice, app_id, 'four five six seven', '?waitForFinish=30', {
      'content-type': 'text/plain',
    });
    const textRun = data<ApifyRun>(text, 201);
    expect(textRun.status).toBe('SUCCEEDED');
    const [textItem] = (
      await get(h.tokens.alice, `/v2/actor-runs/${textRun.id}/dataset/items`)
    ).json<Record<string, unknown>[]>();
    expect(textItem).toMatchObject({ fileName: 'INPUT.txt' });
    expect(Object.values(textItem!)).toContain('4');

    // A gzip-compressed JSON body (apify-client compresses bodies of 1 KiB or more).
    const big = { text: 'word '.repeat(400) };
    const gz = await start(
      h.tokens.alice,
      app_id,
      gzipSync(JSON.stringify(big)),
      '?waitForFinish=30',
      {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
    );
    expect(data<ApifyRun>(gz, 201).status).toBe('SUCCEEDED');

    expectApifyError(await start(h.tokens.alice, app_id, '{"a":'), 400, 'invalid-input');
    expectApifyError(await start(h.tokens.alice, app_id, ''), 400, 'invalid-input');
    expectApifyError(await start(h.tokens.alice, app_id, { batch_id: 'x' }), 400, 'invalid-input');
    expectApifyError(
      await start(h.tokens.alice, app_id, { batch_id: 999999 }),
      404,
      'record-not-found',
    );
    expectApifyError(
      await start(h.tokens.alice, 'nobody~nothing', { a: 1 }),
      404,
      'record-not-found',
    );
  });

  it('aborts (also when finished), refuses to delete unfinished or others’ runs, deletes finished ones', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const run = data<ApifyRun>(await start(h.tokens.alice, app_id, { a: 1 }), 201);
    expect(run.status).toBe('READY');
    const del = (token: string, id: string) =>
      h.as(token, { method: 'DELETE', url: `/v2/actor-runs/${id}` });

    expect(
      expectApifyError(await del(h.tokens.alice, run.id), 400, 'cannot-remove-running-run'),
    ).toMatch(/cancel/i);
    expectApifyError(await del(h.tokens.bob, run.id), 403, 'permission-denied');
    expectApifyError(await del(h.tokens.eve, run.id), 404, 'record-not-found');
    expectApifyError(await del(h.tokens.alice, 'no-such-run'), 404, 'record-not-found');

    // An empty form-encoded POST, as apify-client sends it.
    const abort = (q = '') =>
      h.as(h.tokens.alice, {
        method: 'POST',
        url: `/v2/actor-runs/${run.id}/abort${q}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: '',
      });
    expect(data<ApifyRun>(await abort('?gracefully=1')).status).toBe('ABORTED');
    expect(data<ApifyRun>(await abort('?gracefully=false')).status).toBe('ABORTED');
    expectApifyError(await abort('?gracefully=maybe'), 400, 'invalid-input');
    expectApifyError(
      await h.as(h.tokens.alice, { method: 'POST', url: '/v2/actor-runs/nope/abort' }),
      404,
      'record-not-found',
    );

    const gone = await del(h.tokens.alice, run.id);
    expect(gone.statusCode, gone.body).toBe(204);
    expect(gone.body).toBe('');
  });

  it('lists runs with offset, limit, desc and status, per actor and overall; runs/last', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const other = (await publishOk(h, h.tokens.alice, nodeApp('other'))).app_id;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(data<ApifyRun>(await start(h.tokens.alice, app_id, { i }), 201).id);
    }
    const otherRun = data<ApifyRun>(await start(h.tokens.alice, other, { x: 1 }), 201).id;
    await h.as(h.tokens.alice, { method: 'POST', url: `/v2/actor-runs/${ids[1]}/abort` });

    const all = data<RunList>(await get(h.tokens.alice, '/v2/actor-runs'));
    expect(all).toMatchObject({ total: 4, offset: 0, limit: 1000, count: 4, desc: false });
    expect(all.items.map((r) => r.id)).toEqual([...ids, otherRun]);

    const mine = data<RunList>(await get(h.tokens.alice, `/v2/actors/${app_id}/runs?desc=1`));
    expect(mine.items.map((r) => r.id)).toEqual([...ids].reverse());
    expect(mine.desc).toBe(true);

    const page = data<RunList>(
      await get(h.tokens.alice, `/v2/acts/alice~probe/runs?offset=1&limit=1&desc=true`),
    );
    expect(page).toMatchObject({ offset: 1, limit: 1, count: 1 });
    expect(page.items.map((r) => r.id)).toEqual([ids[1]]);
    // `total` is exact, counted with the page's filters (the client pages on it).
    expect(page.total).toBe(3);
    const firstOnly = data<RunList>(await get(h.tokens.alice, '/v2/actor-runs?limit=1'));
    expect(firstOnly).toMatchObject({ total: 4, count: 1, limit: 1 });
    // Date bounds are inclusive; runs made in the same millisecond share a startedAt.
    const at = all.items[2]!.startedAt;
    const after = data<RunList>(
      await get(h.tokens.alice, `/v2/actor-runs?limit=1&startedAfter=${encodeURIComponent(at)}`),
    );
    const notBefore = all.items.filter((r) => r.startedAt >= at);
    expect(after.total).toBe(notBefore.length);
    expect(after.items.map((r) => r.id)).toEqual([notBefore[0]!.id]);
    const before = data<RunList>(
      await get(
        h.tokens.alice,
        `/v2/actor-runs?status=READY&startedBefore=${encodeURIComponent(at)}`,
      ),
    );
    const readyNotAfter = all.items.filter((r) => r.status === 'READY' && r.startedAt <= at);
    expect(before.items.map((r) => r.id)).toEqual(readyNotAfter.map((r) => r.id));
    expect(before.total).toBe(readyNotAfter.length);
    expectApifyError(
      await get(h.tokens.alice, '/v2/actor-runs?startedAfter=yesterday'),
      400,
      'invalid-input',
    );

    const aborted = data<RunList>(await get(h.tokens.alice, '/v2/actor-runs?status=ABORTED'));
    expect(aborted.items.map((r) => r.id)).toEqual([ids[1]]);
    const some = data<RunList>(await get(h.tokens.alice, '/v2/actor-runs?status=READY,ABORTED'));
    expect(some.total).toBe(4);
    expect(data<RunList>(await get(h.tokens.alice, '/v2/actor-runs?status=TIMING-OUT')).total).toBe(
      0,
    );
    expectApifyError(await get(h.tokens.alice, '/v2/actor-runs?status=DONE'), 400, 'invalid-input');
    expectApifyError(await get(h.tokens.alice, '/v2/actor-runs?desc=yes'), 400, 'invalid-input');
    expect(data<RunList>(await get(h.tokens.alice, '/v2/actor-runs?limit=5000')).limit).toBe(1000);
    // Another org sees none of them.
    expect(data<RunList>(await get(h.tokens.eve, '/v2/actor-runs')).total).toBe(0);

    expect(data<ApifyRun>(await get(h.tokens.alice, `/v2/actors/${app_id}/runs/last`)).id).toBe(
      ids[2],
    );
    expect(
      data<ApifyRun>(await get(h.tokens.alice, `/v2/actors/${app_id}/runs/last?status=ABORTED`)).id,
    ).toBe(ids[1]);
    expectApifyError(
      await get(h.tokens.alice, `/v2/actors/${app_id}/runs/last?status=SUCCEEDED`),
      404,
      'record-not-found',
    );
  });

  it('pages dataset items (offset, limit, desc) as json, jsonl and csv with pagination headers', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const files = Object.fromEntries(
      ['a', 'b', 'c', 'd'].map((n, i) => [`${n}.txt`, 'x '.repeat(i + 1)]),
    );
    const batch = await createBatch(h, h.tokens.alice, files);
    const run = data<ApifyRun>(
      await start(h.tokens.alice, app_id, { batch_id: batch }, '?waitForFinish=30'),
      201,
    );
    expect((await finished(h.tokens.alice, run.id)).status).toBe('SUCCEEDED');
    const items = (q: string) => get(h.tokens.alice, `/v2/actor-runs/${run.id}/dataset/items${q}`);

    const page = await items('?offset=1&limit=2');
    expect(page.json<{ fileName: string }[]>().map((i) => i.fileName)).toEqual(['b.txt', 'c.txt']);
    expect(page.headers).toMatchObject({
      'x-apify-pagination-offset': '1',
      'x-apify-pagination-limit': '2',
      'x-apify-pagination-count': '2',
      'x-apify-pagination-total': '4',
    });
    const desc = await items('?desc=1&limit=3');
    expect(desc.json<{ fileName: string }[]>().map((i) => i.fileName)).toEqual([
      'd.txt',
      'c.txt',
      'b.txt',
    ]);
    const descOffset = await items('?desc=true&offset=3');
    expect(descOffset.json<{ fileName: string }[]>().map((i) => i.fileName)).toEqual(['a.txt']);
    expect((await items('?offset=10')).json()).toEqual([]);

    const jsonl = await items('?format=jsonl&limit=2');
    expect(jsonl.headers['content-type']).toMatch(/^application\/jsonl/);
    expect(
      jsonl.body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { fileName: string }).fileName),
    ).toEqual(['a.txt', 'b.txt']);
    const csv = await items('?format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^fileName,className,/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual([
      'a.txt',
      'b.txt',
      'c.txt',
      'd.txt',
    ]);
    expectApifyError(await items('?format=xlsx'), 400, 'invalid-input');
    expectApifyError(
      await get(h.tokens.alice, '/v2/actor-runs/nope/dataset/items'),
      404,
      'record-not-found',
    );
  });

  it('streams the log with stream=1 until the run ends', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const port = await listen(h);
    const batch = await createBatch(h, h.tokens.alice, { 'slow.txt': 'x' });
    const run = data<ApifyRun>(await start(h.tokens.alice, app_id, { batch_id: batch }), 201);
    let aborted = false;
    const streamed = await stream(
      port,
      h.tokens.alice,
      `/v2/actor-runs/${run.id}/log?stream=1&raw=1`,
      (soFar) => {
        if (!aborted && soFar.includes('started slow.txt')) {
          aborted = true;
          void h.as(h.tokens.alice, {
            method: 'POST',
            url: `/v2/actor-runs/${run.id}/abort?gracefully=1`,
          });
        }
      },
    );
    expect(streamed.status).toBe(200);
    expect(streamed.headers['content-type']).toMatch(/^text\/plain/);
    expect(streamed.body).toMatch(/started slow\.txt/);
    expect(streamed.body).toMatch(/\[status\] cancelled/);
    expect((await finished(h.tokens.alice, run.id)).status).toBe('ABORTED');
    const missing = await stream(port, h.tokens.alice, '/v2/actor-runs/nope/log?stream=1');
    expect(missing.status).toBe(404);
  });
});

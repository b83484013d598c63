/**
 * The runs API of the AI Hub dialect (SPEC §4.1): starting a run, its status, listing with
 * every filter the reference has, and results pages.
 */
import { afterEach, expect, it } from 'vitest';
import { systemSources } from '../../src/main.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  expectError,
  getRun,
  listRuns,
  matching,
  publishOk,
  results,
  startRunOk,
  type RunObject,
  waitForLog,
  waitForRun,
} from './run-helpers.js';
import { commandApp, nodeApp } from './test-apps.js';

const DAY_MS = 24 * 3600 * 1000;
const ids = (runs: RunObject[]) => runs.map((r) => r.id).sort();
const byStartDesc = (runs: RunObject[]) =>
  runs.every((r, i) => i === 0 || runs[i - 1]!.start_timestamp >= r.start_timestamp);

describeEachBackend('runs API', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('starts a run (200, RUNNING, queued), and GET shows it; times are Unix nanoseconds', async () => {
    let now = Date.UTC(2026, 0, 15, 12, 0, 0, 123);
    h = await startHarness(
      backend,
      { RUNBOX_WORKERS: 'false' },
      {
        clock: { now: () => now },
        ids: systemSources.ids,
      },
    );
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const res = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/runs',
      payload: { app_name: 'probe', batch_id: batch, settings: { tags: ['q1', 'urgent'] } },
    });
    expect(res.statusCode).toBe(200);
    const run = res.json<RunObject>();
    expect(run).toEqual({
      id: matching(/^[0-9a-f-]{36}$/),
      status: 'RUNNING',
      start_timestamp: now * 1_000_000,
      finish_timestamp: null,
      msg: matching(/queued/i),
      batch_id: batch,
      input_dir: null,
      app_id,
      deployment_id: null,
      tags: ['q1', 'urgent'],
    });
    now += 1000;
    const status = await getRun(h, h.tokens.bob, run.id);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual(run);
    expectError(await getRun(h, h.tokens.eve, run.id), 404, 'record-not-found');
    expectError(await getRun(h, h.tokens.alice, 'no-such-run'), 404, 'record-not-found');

    const untagged = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    expect(untagged.tags).toBeNull();
    expect(untagged.start_timestamp).toBe(now * 1_000_000);
    // Results of a run that has not started: its files, nothing in them yet.
    const pending = await results(h, h.tokens.alice, untagged.id);
    expect(pending).toMatchObject({ status: 'RUNNING', has_more: false });
    expect(pending.files.map((f) => [f.original_file_name, f.documents])).toEqual([['a.txt', []]]);
  });

  it('lists runs with every filter, page and sort of the reference', async () => {
    h = await startHarness(backend, { RUNBOX_CANCEL_GRACE_MS: '100' });
    const probe = await publishOk(h, h.tokens.alice, nodeApp());
    const sizer = await publishOk(h, h.tokens.bob, commandApp());
    const start = async (token: string, app_id: string, file: string, extra = {}) => {
      const batch = await createBatch(h, token, { [file]: 'some words here' });
      return startRunOk(h, token, { app_id, batch_id: batch, ...extra });
    };
    const complete = await start(h.tokens.alice, probe.app_id, 'fine.txt');
    const failed = await start(h.tokens.alice, probe.app_id, 'throw.txt');
    const bobs = await start(h.tokens.bob, sizer.app_id, 'b.txt', { output_workspace: 'shared' });
    const timedOut = await start(h.tokens.alice, probe.app_id, 'hang.txt', {
      settings: { runtime_config: { timeout_seconds: 1 } },
    });
    const gate = `${h.config.dataDir}/gate-open`;
    const running = await start(h.tokens.alice, probe.app_id, 'gate.txt', {
      settings: { keys: { custom: { gate } } },
    });
    for (const r of [complete, failed, bobs, timedOut]) await waitForRun(h, h.tokens.alice, r.id);
    await waitForLog(h, h.tokens.alice, running.id, 'waiting at gate');
    const all = [complete, failed, bobs, timedOut, running];

    const list = (q: string) => listRuns(h, h.tokens.alice, q);
    const everything = await list('');
    expect(ids(everything)).toEqual(ids(all));
    expect(byStartDesc(everything)).toBe(true);
    expect(everything.find((r) => r.id === timedOut.id)).toMatchObject({
      status: 'FAILED',
      msg: matching(/timed out/),
    });

    expect(ids(await list(`?app_id=${probe.app_id}`))).toEqual(
      ids([complete, failed, timedOut, running]),
    );
    expect(ids(await list('?app_name=sizer'))).toEqual([bobs.id]);
    expect(await list('?app_name=no-such-app')).toEqual([]);
    expect(await list(`?app_name=sizer&app_id=${probe.app_id}`)).toEqual([]);
    expect(ids(await list('?username=bob'))).toEqual([bobs.id]);
    expect(ids(await list('?output_workspaces=shared'))).toEqual([bobs.id]);
    expect(ids(await list(`?run_id=${failed.id}`))).toEqual([failed.id]);
    expect(ids(await list('?status=FAILED'))).toEqual(ids([failed, timedOut]));
    expect(ids(await list('?status=COMPLETE&status=RUNNING'))).toEqual(
      ids([complete, bobs, running]),
    );
    expect(await list('?status=CANCELLED')).toEqual([]);
    expect(await list('?status=PAUSED')).toEqual([]);
    expect(ids(await list(`?username=alice&status=FAILED&app_id=${probe.app_id}`))).toEqual(
      ids([failed, timedOut]),
    );

    const first = await list('?limit=2');
    const second = await list('?limit=2&offset=2');
    const third = await list('?limit=2&offset=4');
    expect([first.length, second.length, third.length]).toEqual([2, 2, 1]);
    expect([...first, ...second, ...third].map((r) => r.id)).toEqual(everything.map((r) => r.id));
    const ascending = await list('?order=ASCENDING&sort_by=start_timestamp');
    expect(ascending.map((r) => r.id)).toEqual(everything.map((r) => r.id).reverse());

    const statuses = (runs: RunObject[]) => runs.map((r) => r.status);
    expect(statuses(await list('?sort_by=status&order=ASCENDING'))).toEqual([
      'COMPLETE',
      'COMPLETE',
      'FAILED',
      'FAILED',
      'RUNNING',
    ]);
    expect(statuses(await list('?sort_by=status&order=DESCENDING'))).toEqual([
      'RUNNING',
      'FAILED',
      'FAILED',
      'COMPLETE',
      'COMPLETE',
    ]);

    const nowS = Math.floor(Date.now() / 1000);
    expect(ids(await list(`?from_timestamp=${nowS - 600}&to_timestamp=${nowS + 600}`))).toEqual(
      ids(all),
    );
    expect(await list(`?from_timestamp=${nowS + 600}`)).toEqual([]);
    expect(await list(`?to_timestamp=${nowS - 600}`)).toEqual([]);
    expect(await listRuns(h, h.tokens.eve)).toEqual([]);

    for (const bad of [
      '?status=DONE',
      '?limit=0',
      '?offset=-1',
      '?sort_by=name',
      '?order=UP',
      '?from_timestamp=yesterday',
    ]) {
      expectError(
        await h.as(h.tokens.alice, { method: 'GET', url: `/api/v2/apps/runs${bad}` }),
        400,
        'invalid-input',
      );
    }

    const { writeFileSync } = await import('node:fs');
    writeFileSync(gate, '');
    expect((await waitForRun(h, h.tokens.alice, running.id)).status).toBe('COMPLETE');
  });

  it('lists the last 24 hours by default; from/to_timestamp (seconds) reach further', async () => {
    const today = Date.UTC(2026, 2, 10, 9, 30, 0);
    let now = today - 2 * DAY_MS;
    h = await startHarness(
      backend,
      { RUNBOX_WORKERS: 'false' },
      {
        clock: { now: () => now },
        ids: systemSources.ids,
      },
    );
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const old = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    now = today - DAY_MS + 60_000;
    const yesterday = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    now = today;
    const fresh = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    const s = (ms: number) => Math.floor(ms / 1000);

    expect((await listRuns(h, h.tokens.alice)).map((r) => r.id)).toEqual([fresh.id, yesterday.id]);
    expect(
      (await listRuns(h, h.tokens.alice, `?from_timestamp=${s(today - 2 * DAY_MS)}`)).map(
        (r) => r.id,
      ),
    ).toEqual([fresh.id, yesterday.id, old.id]);
    expect(
      ids(await listRuns(h, h.tokens.alice, `?from_timestamp=0&to_timestamp=${s(today - DAY_MS)}`)),
    ).toEqual([old.id]);
    // to_timestamp is inclusive of its whole second.
    expect(ids(await listRuns(h, h.tokens.alice, `?to_timestamp=${s(today)}`))).toEqual(
      ids([fresh, yesterday]),
    );
    expect(await listRuns(h, h.tokens.alice, `?from_timestamp=${s(today) + 1}`)).toEqual([]);
  });

  it('pages results 20 files at a time with file_offset and has_more', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const names = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    const batch = await createBatch(
      h,
      h.tokens.alice,
      Object.fromEntries(names.map((n, i) => [n, 'w '.repeat(i + 1)])),
    );
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    expect((await waitForRun(h, h.tokens.alice, run.id)).status).toBe('COMPLETE');

    const page1 = await results(h, h.tokens.alice, run.id);
    expect(page1.has_more).toBe(true);
    expect(page1.files.map((f) => f.original_file_name)).toEqual(names.slice(0, 20));
    const page2 = await results(h, h.tokens.alice, run.id, '?file_offset=20');
    expect(page2.has_more).toBe(false);
    expect(page2.files.map((f) => f.original_file_name)).toEqual(names.slice(20));
    expect(page2.files.map((f) => f.documents[0]!.fields[0]!.value)).toEqual([
      '21',
      '22',
      '23',
      '24',
      '25',
    ]);
    const middle = await results(h, h.tokens.alice, run.id, '?file_offset=10');
    expect(middle.files.map((f) => f.original_file_name)).toEqual(names.slice(10, 25).slice(0, 20));
    expect(middle.has_more).toBe(false);
    const past = await results(h, h.tokens.alice, run.id, '?file_offset=25');
    expect(past).toMatchObject({ files: [], has_more: false });
    const bad = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${run.id}/results?file_offset=-1`,
    });
    expectError(bad, 400, 'invalid-input');
    const hidden = await h.as(h.tokens.eve, {
      method: 'GET',
      url: `/api/v2/apps/runs/${run.id}/results`,
    });
    expectError(hidden, 404, 'record-not-found');
  });
});

/**
 * One run, three dialects (SPEC §3, §5): after every step the same run read through AI Hub
 * (`/api/v2/apps/runs/{id}`), Apify (`/v2/actor-runs/{id}`) and PraisonAI (`/api/v1/runs/{id}`)
 * shows the same state, each in its own spelling. The run is held at each step: no worker until
 * its queued state was seen, a gate file while running, and for cancelling an app that ignores
 * the abort signal until the test kills its process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createRunWorker } from '../../src/main.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { createBatch, publishOk, waitForLog, waitForRun } from '../runs/run-helpers.js';
import { writeApp } from '../runs/test-apps.js';

/** `gate` files wait for the file the `gate` key names; `stuck` files log their pid and hang. */
const APP_SOURCE = `
import { existsSync } from 'node:fs';
export default async function (file, ctx) {
  if (file.name.includes('gate')) {
    ctx.log('waiting at gate ' + file.name);
    while (!existsSync(ctx.keys.gate)) await new Promise((r) => setTimeout(r, 10));
  }
  if (file.name.includes('stuck')) {
    ctx.log('stuck in process ' + process.pid);
    await new Promise(() => {});
  }
  return [{ class_name: 'Note', page_numbers: [1], fields: { 'file name': file.name } }];
}
`;

const app = () =>
  writeApp(
    {
      name: 'gated',
      version: '1.0.0',
      runtime: 'node',
      entry: 'index.mjs',
      keys: { gate: { type: 'string', default: '/nonexistent' } },
      fields: [{ name: 'file name' }],
    },
    { 'index.mjs': APP_SOURCE },
  );

interface Seen {
  state: string;
  aihub: { status: string; msg: string | null };
  apify: { status: string; statusMessage: string };
  praison: { status: string };
}

describeEachBackend('the same run through all three dialects', (backend) => {
  let h: Harness;
  let worker: ReturnType<typeof createRunWorker> | undefined;
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await h?.close();
  });

  const read = async (url: string) => {
    const res = await h.as(h.tokens.alice, { method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Record<string, unknown>>();
  };
  const state = async (id: string) => (await h.runbox.store.runs.getById(id))!.state;

  /** The three dialects' views of one internal state (read again if the run moved meanwhile). */
  const seeAll = (id: string): Promise<Seen> =>
    waitFor(async () => {
      const before = await state(id);
      const aihub = (await read(`/api/v2/apps/runs/${id}`)) as Seen['aihub'];
      const apify = (await read(`/v2/actor-runs/${id}`)).data as Seen['apify'];
      const praison = (await read(`/api/v1/runs/${id}`)) as Seen['praison'];
      return (await state(id)) === before ? { state: before, aihub, apify, praison } : undefined;
    }, `a steady view of run ${id}`);

  const statuses = (s: Seen) => [s.state, s.aihub.status, s.apify.status, s.praison.status];

  it('queued, running, finished, and cancelled (queued and while running) agree everywhere', async () => {
    h = await startHarness(backend, {
      RUNBOX_WORKERS: 'false',
      // Far longer than the test: a run that ignores the abort stays `cancelling` until killed.
      RUNBOX_CANCEL_GRACE_MS: '600000',
    });
    const { app_id } = await publishOk(h, h.tokens.alice, app());
    const gate = join(h.config.dataDir, 'gate-open');

    // Submitted through PraisonAI; no worker yet, so it waits in the queue.
    const batch = await createBatch(h, h.tokens.alice, { 'gate.txt': 'g' });
    const sub = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v1/runs',
      payload: { app: 'gated', batch_id: batch, config: { gate } },
    });
    expect(sub.statusCode, sub.body).toBe(202);
    const id = sub.json<{ job_id: string }>().job_id;
    const queued = await seeAll(id);
    expect(statuses(queued)).toEqual(['queued', 'RUNNING', 'READY', 'queued']);
    expect(queued.aihub.msg).toMatch(/queued/);

    // A second run, cancelled while queued (through AI Hub): cancelled at once.
    const early = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/runs',
      payload: { app_id, batch_id: batch },
    });
    const earlyId = early.json<{ id: string }>().id;
    const c = await h.as(h.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${earlyId}/cancel`,
    });
    expect(c.statusCode, c.body).toBeLessThan(300);
    expect(statuses(await seeAll(earlyId))).toEqual([
      'cancelled',
      'CANCELLED',
      'ABORTED',
      'cancelled',
    ]);

    // A worker claims the first run; the app waits at the gate.
    worker = createRunWorker(h.runbox);
    worker.worker.start();
    await waitForLog(h, h.tokens.alice, id, 'waiting at gate');
    expect(statuses(await seeAll(id))).toEqual(['running', 'RUNNING', 'RUNNING', 'running']);

    writeFileSync(gate, '');
    await waitForRun(h, h.tokens.alice, id);
    expect(statuses(await seeAll(id))).toEqual(['complete', 'COMPLETE', 'SUCCEEDED', 'succeeded']);

    // Started through Apify, cancelled through PraisonAI while its app ignores the signal.
    const stuckBatch = await createBatch(h, h.tokens.alice, { 'stuck.txt': 's' });
    const started = await h.as(h.tokens.alice, {
      method: 'POST',
      url: `/v2/actors/${app_id}/runs`,
      payload: JSON.stringify({ batch_id: stuckBatch }),
      headers: { 'content-type': 'application/json' },
    });
    expect(started.statusCode, started.body).toBe(201);
    const stuck = started.json<{ data: { id: string } }>().data.id;
    const log = await waitForLog(h, h.tokens.alice, stuck, 'stuck in process');
    const pid = Number(/stuck in process (\d+)/.exec(log)![1]);
    expect(statuses(await seeAll(stuck))).toEqual(['running', 'RUNNING', 'RUNNING', 'running']);
    const cancel = await h.as(h.tokens.alice, {
      method: 'POST',
      url: `/api/v1/runs/${stuck}/cancel`,
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const cancelling = await seeAll(stuck);
    expect(statuses(cancelling)).toEqual(['cancelling', 'RUNNING', 'ABORTING', 'running']);
    expect(cancelling.aihub.msg).toMatch(/cancel/i);

    // Its process goes away: the cancellation completes.
    process.kill(pid, 'SIGKILL');
    await waitForRun(h, h.tokens.alice, stuck);
    expect(statuses(await seeAll(stuck))).toEqual([
      'cancelled',
      'CANCELLED',
      'ABORTED',
      'cancelled',
    ]);
  });
});

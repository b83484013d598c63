/**
 * The PraisonAI async-jobs dialect (SPEC §5) at /api/v1/runs: submit, poll, result, cancel,
 * delete, list, stream; errors as `{detail}`; a job is the same run the v2 API shows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import {
  ANY_STRING,
  createBatch,
  getRun,
  listen,
  matching,
  publishOk,
  stream,
  waitForRun,
} from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';

interface Job {
  job_id: string;
  status: string;
  progress: { percentage: number; steps_completed: number; steps_total: number };
  error: string | null;
  completed_at: string | null;
}

const UNKNOWN = '0190aaaa-0000-7000-8000-000000000000';

function expectDetail(res: LightMyRequestResponse, status: number, re?: RegExp): string {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<Record<string, unknown>>();
  expect(Object.keys(body)).toEqual(['detail']);
  expect(typeof body.detail).toBe('string');
  if (re) expect(body.detail).toMatch(re);
  return body.detail as string;
}

describeEachBackend('praison jobs', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const submit = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.as(h.tokens.alice, { method: 'POST', url: '/api/v1/runs', payload: body, headers });
  const get = (path: string, token = h.tokens.alice) =>
    h.as(token, { method: 'GET', url: `/api/v1/runs${path}` });
  const cancel = (id: string) =>
    h.as(h.tokens.alice, { method: 'POST', url: `/api/v1/runs/${id}/cancel` });
  const del = (id: string) => h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v1/runs/${id}` });
  const waitJob = (id: string, statuses = ['succeeded', 'failed', 'cancelled']) =>
    waitFor(
      async () => {
        const j = (await get(`/${id}`)).json<Job>();
        return statuses.includes(j.status) ? j : undefined;
      },
      `job ${id} to reach ${statuses.join('|')}`,
    );

  async function probe() {
    await publishOk(h, h.tokens.alice, nodeApp('probe'));
  }

  it('submits a prompt, polls, reads the result, and deletes the job', async () => {
    h = await startHarness(backend);
    await probe();
    const res = await submit({
      app: 'probe',
      prompt: 'one two three',
      config: { x: 1 },
      timeout: 60,
    });
    expect(res.statusCode, res.body).toBe(202);
    const sub = res.json<Record<string, string>>();
    expect(sub).toEqual({
      job_id: ANY_STRING,
      status: 'queued',
      created_at: matching(/^\d{4}-\d\d-\d\dT.*Z$/),
      poll_url: matching(new RegExp(`/api/v1/runs/${sub.job_id}$`)),
      stream_url: matching(new RegExp(`/api/v1/runs/${sub.job_id}/stream$`)),
    });
    expect(res.headers.location).toBe(sub.poll_url);
    expect(res.headers['retry-after']).toBe('2');

    const done = await waitJob(sub.job_id!);
    expect(done).toMatchObject({
      status: 'succeeded',
      progress: { percentage: 100, steps_completed: 1, steps_total: 1 },
      error: null,
      completed_at: ANY_STRING,
    });
    // The same run through the v2 API, in the same state, with its settings.
    const v2 = (await getRun(h, h.tokens.alice, sub.job_id!)).json<{
      status: string;
      batch_id: number;
    }>();
    expect(v2.status).toBe('COMPLETE');
    const v2res = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${sub.job_id}/results`,
    });
    expect(v2res.json<{ keys: unknown }>().keys).toEqual({ custom: { x: 1 } });

    const result = await get(`/${sub.job_id}/result`);
    expect(result.statusCode, result.body).toBe(200);
    const r = result.json<{
      status: string;
      result: {
        files: {
          original_file_name: string;
          documents: { fields: { field_name: string; value: string }[] }[];
        }[];
      };
      result_url: null;
      duration_seconds: number;
    }>();
    expect(r.status).toBe('succeeded');
    expect(r.result_url).toBeNull();
    expect(r.result.files).toHaveLength(1);
    expect(r.result.files[0]!.original_file_name).toBe('prompt.txt');
    const fields = Object.fromEntries(
      r.result.files[0]!.documents[0]!.fields.map((f) => [f.field_name, f.value]),
    );
    expect(fields).toMatchObject({ word_count: '3' });

    expectDetail(await cancel(sub.job_id!), 409, /^Job is already complete. Status: succeeded$/);
    const gone = await del(sub.job_id!);
    expect(gone.statusCode, gone.body).toBe(204);
    expect(gone.body).toBe('');
    await waitFor(
      async () => ((await get(`/${sub.job_id}`)).statusCode === 404 ? true : undefined),
      'job gone',
    );
    expectDetail(await get(`/${sub.job_id}`), 404, new RegExp(`^Job not found: ${sub.job_id}$`));
    // Its prompt batch went with it.
    const batch = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/batches/${v2.batch_id}`,
    });
    expect(batch.statusCode).toBe(404);
  });

  it('cancels a queued job, then deletes it; refuses to delete or read the result before', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    await probe();
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const sub = (await submit({ recipe_name: 'probe', batch_id: batch })).json<Job>();
    expect((await get(`/${sub.job_id}`)).json<Job>()).toMatchObject({
      status: 'queued',
      progress: { percentage: 0, steps_completed: 0, steps_total: 1 },
    });
    expectDetail(
      await get(`/${sub.job_id}/result`),
      409,
      /^Job is not complete. Current status: queued$/,
    );
    expectDetail(await del(sub.job_id), 409, /^Cannot delete running job. Cancel it first.$/);

    // The cancel-then-delete helper the PraisonAI docs show.
    const c = await cancel(sub.job_id);
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json<Job>().status).toBe('cancelled');
    expect((await getRun(h, h.tokens.alice, sub.job_id)).json<{ status: string }>().status).toBe(
      'CANCELLED',
    );
    const r = (await get(`/${sub.job_id}/result`)).json<{ status: string; result: unknown }>();
    expect(r).toMatchObject({ status: 'cancelled', result: null });
    expect((await del(sub.job_id)).statusCode).toBe(204);
  });

  it('answers every error with {detail}', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    await probe();
    expectDetail(await get(`/${UNKNOWN}`), 404, /^Job not found: /);
    expectDetail(await get(`/${UNKNOWN}/result`), 404);
    expectDetail(await cancel(UNKNOWN), 404);
    expectDetail(await del(UNKNOWN), 404);
    expectDetail(await get(`/${UNKNOWN}/stream`), 404);
    expectDetail(await submit({ prompt: 'x' }), 400, /app/);
    expectDetail(
      await submit({ app: 'probe' }),
      400,
      /exactly one of prompt, batch_id and input_dir/,
    );
    expectDetail(await submit({ app: 'probe', prompt: 'x', batch_id: 1 }), 400);
    expectDetail(await submit({ app: 'nope', prompt: 'x' }), 404, /nope/);
    expectDetail(
      await submit({ app: 'probe', prompt: 'x', agent_file: 'a.yaml' }),
      400,
      /agent_file/,
    );
    expectDetail(await submit({ app: 'probe', prompt: 'x', timeout: 0 }), 400, /timeout_seconds/);
    expectDetail(await get('?status=done'), 400, /^Invalid status: done. Valid values: /);
    expectDetail(await get('?page_size=101'), 400);
    expectDetail(await get('?page=0'), 400);
    // Another org's job is not there.
    const sub = (await submit({ app: 'probe', prompt: 'x' })).json<Job>();
    expectDetail(await get(`/${sub.job_id}`, h.tokens.eve), 404);
    // No token: the catalogue's 401, in this dialect's envelope.
    const anon = await h.runbox.app.inject({ method: 'GET', url: '/api/v1/runs' });
    expectDetail(anon, 401);
  });

  it('returns the existing job for a repeated Idempotency-Key (header or body)', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    await probe();
    const first = await submit({ app: 'probe', prompt: 'a' }, { 'idempotency-key': 'k-1' });
    expect(first.statusCode).toBe(202);
    const again = await submit({ app: 'probe', prompt: 'different' }, { 'idempotency-key': 'k-1' });
    expect(again.statusCode).toBe(202);
    expect(again.json<Job>().job_id).toBe(first.json<Job>().job_id);
    expect(again.headers.location).toBe(first.headers.location);
    const body = await submit({ app: 'probe', prompt: 'a', idempotency_key: 'k-1' });
    expect(body.json<Job>().job_id).toBe(first.json<Job>().job_id);
    const other = await submit({ app: 'probe', prompt: 'a' }, { 'idempotency-key': 'k-2' });
    expect(other.json<Job>().job_id).not.toBe(first.json<Job>().job_id);
    expect((await get('')).json<{ total: number }>().total).toBe(2);
  });

  it('lists jobs newest first, by page and status', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    await probe();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await submit({ app: 'probe', prompt: `p${i}` })).json<Job>().job_id);
    await cancel(ids[0]!);
    const list = (q: string) =>
      get(q).then((r) => {
        expect(r.statusCode, r.body).toBe(200);
        return r.json<{ jobs: Job[]; total: number; page: number; page_size: number }>();
      });
    const all = await list('');
    expect(all).toMatchObject({ total: 5, page: 1, page_size: 20 });
    expect(all.jobs.map((j) => j.job_id)).toEqual([...ids].reverse());
    const p1 = await list('?page=1&page_size=2');
    const p2 = await list('?page=2&page_size=2');
    const p3 = await list('?page=3&page_size=2');
    const p4 = await list('?page=4&page_size=2');
    expect([p1, p2, p3, p4].map((p) => p.total)).toEqual([5, 5, 5, 5]);
    expect([...p1.jobs, ...p2.jobs, ...p3.jobs].map((j) => j.job_id)).toEqual([...ids].reverse());
    expect(p4.jobs).toEqual([]);
    const queued = await list('?status=queued&page_size=3');
    expect(queued.total).toBe(4);
    expect(queued.jobs.map((j) => j.status)).toEqual(['queued', 'queued', 'queued']);
    const cancelled = await list('?status=cancelled');
    expect(cancelled).toMatchObject({ total: 1, jobs: [{ job_id: ids[0], status: 'cancelled' }] });
    expect((await list('?status=succeeded')).total).toBe(0);
  });

  it('lists each job with its own progress, as its status shows it', async () => {
    h = await startHarness(backend);
    await probe();
    const one = (await submit({ app: 'probe', prompt: 'one' })).json<Job>().job_id;
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a', 'b.txt': 'b' });
    const two = (await submit({ app: 'probe', batch_id: batch })).json<Job>().job_id;
    const statuses = [await waitJob(two), await waitJob(one)];
    expect(statuses.map((j) => j.progress)).toEqual([
      { percentage: 100, steps_completed: 2, steps_total: 2, current_step: ANY_STRING },
      { percentage: 100, steps_completed: 1, steps_total: 1, current_step: ANY_STRING },
    ]);
    const listed = (await get('')).json<{ jobs: Job[] }>().jobs;
    expect(listed).toEqual(statuses);
  });

  it('streams status and progress over SSE, closing with the result', async () => {
    h = await startHarness(backend);
    await probe();
    const gate = join(h.config.dataDir, 'gate-open');
    const batch = await createBatch(h, h.tokens.alice, { 'gate.txt': 'gate words here' });
    const res = await submit({ app: 'probe', batch_id: batch, config: { gate } });
    const { job_id } = res.json<Job>();
    const port = await listen(h);
    let opened = false;
    const s = await stream(port, h.tokens.alice, `/api/v1/runs/${job_id}/stream`, (soFar) => {
      if (!opened && soFar.includes('"status":"running"')) {
        opened = true;
        writeFileSync(gate, '');
      }
    });
    expect(opened).toBe(true);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = s.body
      .split('\n\n')
      .filter((b) => b.trim() !== '')
      .map((b) => {
        const [ev, data] = b.split('\n');
        return {
          event: ev!.slice('event: '.length),
          data: JSON.parse(data!.slice('data: '.length)) as Record<string, unknown>,
        };
      })
      .filter((e) => e.event !== 'heartbeat');
    expect(events.filter((e) => e.event === 'status').map((e) => e.data.status)).toEqual([
      'queued',
      'running',
      'succeeded',
    ]);
    expect(events.filter((e) => e.event === 'progress').at(-1)!.data.percentage).toBe(100);
    const last = events.at(-1)!;
    expect(last.event).toBe('result');
    expect(JSON.stringify(last.data.result)).toContain('gate.txt');
    expect((await waitForRun(h, h.tokens.alice, job_id)).status).toBe('COMPLETE');

    // A finished job's stream replays and closes at once.
    const replay = await stream(port, h.tokens.alice, `/api/v1/runs/${job_id}/stream`);
    expect(replay.body).toContain('event: result');
  });
});

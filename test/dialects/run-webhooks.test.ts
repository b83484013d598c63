/**
 * A run's own webhooks, given when it is started: Apify's `webhooks` parameter (Base64 JSON,
 * ACTOR.RUN.* events with Apify's payload, or the payload and headers templates filled in) and
 * PraisonAI's `webhook_url` (the job's status once it ends), delivered to a real socket by the
 * same jobs as a deployment's webhooks, under the same address policy.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { Receiver } from '../helpers/webhook-receiver.js';
import { createBatch, publishOk, waitForLog, waitForRun } from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

interface ApifyEvent {
  userId: string;
  createdAt: string;
  eventType: string;
  eventData: { actorId: string; actorRunId: string };
  resource: { id: string; status: string; actId: string };
}

describeEachBackend('a run’s own webhooks (Apify and PraisonAI)', (backend) => {
  let h: Harness | undefined;
  let rec: Receiver;
  beforeEach(async () => {
    rec = await Receiver.start();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await rec.close();
  });

  async function start(env: Record<string, string> = {}) {
    h = await startHarness(backend, { RUNBOX_WEBHOOK_RETRY_BASE_MS: '200', ...env });
    return { h, app_id: (await publishOk(h, h.tokens.alice, nodeApp('probe'))).app_id };
  }
  const apifyStart = (hh: Harness, actor: string, body: unknown, query: string) =>
    hh.as(hh.tokens.alice, {
      method: 'POST',
      url: `/v2/actors/${actor}/runs${query}`,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  const runTotal = async (hh: Harness) =>
    (await hh.as(hh.tokens.alice, { method: 'GET', url: '/v2/actor-runs?limit=1' })).json<{
      data: { total: number };
    }>().data.total;

  it('Apify: CREATED and SUCCEEDED with Apify’s payload; templates filled in for ABORTED', async () => {
    const { h, app_id } = await start();
    const webhooks = b64([
      {
        eventTypes: ['ACTOR.RUN.CREATED', 'ACTOR.RUN.SUCCEEDED', 'ACTOR.RUN.RESURRECTED'],
        requestUrl: rec.url('/apify'),
      },
      { eventTypes: ['ACTOR.RUN.FAILED', 'ACTOR.RUN.TIMED_OUT'], requestUrl: rec.url('/failed') },
    ]);
    const res = await apifyStart(h, app_id, { text: 'a b' }, `?webhooks=${webhooks}`);
    expect(res.statusCode, res.body).toBe(201);
    const runId = res.json<{ data: { id: string } }>().data.id;

    const succeeded = await rec.delivered('ACTOR.RUN.SUCCEEDED');
    expect(succeeded).toMatchObject({ method: 'POST', path: '/apify' });
    expect(succeeded.headers['content-type']).toBe('application/json');
    // Outside a deployment there is no shared secret: unsigned, as Apify's own are.
    expect(succeeded.headers['runbox-signature']).toBeUndefined();
    const event = JSON.parse(succeeded.body) as ApifyEvent;
    expect(event).toMatchObject({
      userId: 'alice',
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: app_id, actorRunId: runId },
      resource: { id: runId, status: 'SUCCEEDED', actId: app_id },
    });
    expect(new Date(event.createdAt).toISOString()).toBe(event.createdAt);
    const created = JSON.parse((await rec.delivered('ACTOR.RUN.CREATED')).body) as ApifyEvent;
    // The run as it was then, whatever it is by the time the notification job reads it.
    expect(created).toMatchObject({
      eventType: 'ACTOR.RUN.CREATED',
      resource: { id: runId, status: 'READY', finishedAt: null },
    });
    // Each attempt is in the run's log; the webhook for failures was never called.
    await waitForLog(h, h.tokens.alice, runId, 'Webhook ACTOR.RUN.SUCCEEDED to');
    expect(rec.received.filter((r) => r.path === '/failed')).toEqual([]);
    // Resurrected: told so, then of its success again.
    const again = await h.as(h.tokens.alice, {
      method: 'POST',
      url: `/v2/actor-runs/${runId}/resurrect`,
    });
    expect(again.statusCode, again.body).toBe(200);
    const resurrected = JSON.parse(
      (await rec.delivered('ACTOR.RUN.RESURRECTED')).body,
    ) as ApifyEvent;
    expect(resurrected).toMatchObject({
      eventData: { actorRunId: runId },
      resource: { id: runId, status: 'READY', finishedAt: null },
    });
    await waitFor(
      async () => (rec.of('ACTOR.RUN.SUCCEEDED').length === 2 ? true : undefined),
      'a second ACTOR.RUN.SUCCEEDED',
    );

    // A run aborted while its app runs; the templates decide the body and extra headers.
    const batch = await createBatch(h, h.tokens.alice, { 'slow.txt': 'x' });
    const templated = b64([
      {
        eventTypes: ['ACTOR.RUN.ABORTED'],
        requestUrl: rec.url('/templated?key=1'),
        payloadTemplate: '{"run": {{resource.id}}, "what": {{eventType}}, "none": {{nothing}}}',
        headersTemplate: '{"X-Run": {{eventData.actorRunId}}, "Content-Length": "1"}',
        idempotencyKey: 'ignored',
      },
    ]);
    const slow = await apifyStart(h, app_id, { batch_id: batch }, `?webhooks=${templated}`);
    const slowId = slow.json<{ data: { id: string } }>().data.id;
    await waitForLog(h, h.tokens.alice, slowId, 'started slow.txt');
    await h.as(h.tokens.alice, { method: 'POST', url: `/v2/actor-runs/${slowId}/abort` });
    const aborted = await rec.delivered('ACTOR.RUN.ABORTED');
    expect(aborted.path).toBe('/templated?key=1');
    expect(JSON.parse(aborted.body)).toEqual({
      run: slowId,
      what: 'ACTOR.RUN.ABORTED',
      none: null,
    });
    expect(aborted.headers['x-run']).toBe(slowId);
    // A template cannot replace the delivery's own headers.
    expect(aborted.headers['content-length']).toBe(String(Buffer.byteLength(aborted.body)));
  });

  it('Apify: a bad webhooks parameter is 400 and starts nothing', async () => {
    const { h, app_id } = await start({ RUNBOX_WORKERS: 'false' });
    const good = { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: rec.url() };
    const bad = [
      'not base64 json!',
      b64({ eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: rec.url() }),
      b64([{ ...good, eventTypes: [] }]),
      b64([{ ...good, eventTypes: ['ACTOR.RUN.REBOOTED'] }]),
      b64([{ ...good, eventTypes: ['ACTOR.BUILD.SUCCEEDED'] }]),
      b64([{ eventTypes: good.eventTypes }]),
      b64([{ ...good, requestUrl: 'ftp://example.com/x' }]),
      b64([{ ...good, requestUrl: 'http://user:pw@example.com/x' }]),
      b64([{ ...good, colour: 'red' }]),
      b64([{ ...good, headersTemplate: '["not", "an object"]' }]),
      b64(Array.from({ length: 11 }, () => good)),
    ];
    for (const param of bad) {
      const res = await apifyStart(h, app_id, { a: 1 }, `?webhooks=${encodeURIComponent(param)}`);
      expect(res.statusCode, `${param}: ${res.body}`).toBe(400);
      expect(res.json<{ error: { type: string } }>().error.type).toBe('invalid-input');
    }
    expect(await runTotal(h)).toBe(0);
    const batches = await h.as(h.tokens.alice, { method: 'GET', url: '/api/v2/batches' });
    expect(batches.statusCode, batches.body).toBe(200);
    expect(batches.body).not.toContain('Apify input');
  });

  it('PraisonAI: webhook_url gets the job status when it succeeds or is cancelled; running jobs refuse result and delete', async () => {
    const { h } = await start();
    const submit = (body: Record<string, unknown>) =>
      h.as(h.tokens.alice, { method: 'POST', url: '/api/v1/runs', payload: body });
    const ok = await submit({ app: 'probe', prompt: 'one two', webhook_url: rec.url('/done') });
    expect(ok.statusCode, ok.body).toBe(202);
    const jobId = ok.json<{ job_id: string }>().job_id;
    const done = await rec.delivered('job.succeeded');
    expect(done).toMatchObject({ method: 'POST', path: '/done' });
    expect(JSON.parse(done.body)).toMatchObject({
      job_id: jobId,
      status: 'succeeded',
      progress: { percentage: 100 },
      completed_at: expect.stringMatching(/Z$/) as unknown,
      duration_seconds: expect.any(Number) as unknown,
      error: null,
    });

    const batch = await createBatch(h, h.tokens.alice, { 'slow.txt': 'x' });
    const slow = await submit({ app: 'probe', batch_id: batch, webhook_url: rec.url('/slow') });
    const slowId = slow.json<{ job_id: string }>().job_id;
    await waitForLog(h, h.tokens.alice, slowId, 'started slow.txt');
    const expectDetail = (res: LightMyRequestResponse, status: number, detail: string) => {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json()).toEqual({ detail });
    };
    expectDetail(
      await h.as(h.tokens.alice, { method: 'GET', url: `/api/v1/runs/${slowId}/result` }),
      409,
      'Job is not complete. Current status: running',
    );
    expectDetail(
      await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v1/runs/${slowId}` }),
      409,
      'Cannot delete running job. Cancel it first.',
    );
    const cancel = await h.as(h.tokens.alice, {
      method: 'POST',
      url: `/api/v1/runs/${slowId}/cancel`,
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const cancelled = await rec.delivered('job.cancelled');
    expect(cancelled.path).toBe('/slow');
    expect(JSON.parse(cancelled.body)).toMatchObject({ job_id: slowId, status: 'cancelled' });
    expect(rec.of('job.succeeded')).toHaveLength(1);

    // A webhook_url that is no URL is refused, and no job is made.
    const before = await runTotal(h);
    const badUrl = await submit({ app: 'probe', prompt: 'x', webhook_url: 'ftp://example.com' });
    expect(badUrl.statusCode, badUrl.body).toBe(400);
    expect(Object.keys(badUrl.json<object>())).toEqual(['detail']);
    expect(await runTotal(h)).toBe(before);
  });

  it('the address policy applies: a loopback target is refused when private networks are', async () => {
    const { h, app_id } = await start({ RUNBOX_WEBHOOK_REFUSE_PRIVATE: 'true' });
    const webhooks = b64([{ eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: rec.url() }]);
    const res = await apifyStart(h, app_id, { text: 'x' }, `?webhooks=${webhooks}`);
    const runId = res.json<{ data: { id: string } }>().data.id;
    await waitForRun(h, h.tokens.alice, runId);
    const log = await waitForLog(h, h.tokens.alice, runId, 'private network');
    expect(log).toMatch(
      /Webhook ACTOR\.RUN\.SUCCEEDED to http:\/\/127\.0\.0\.1:\d+\/hook, attempt 1 of 7: failed \(refused/,
    );
    expect(rec.received).toEqual([]);
  });
});

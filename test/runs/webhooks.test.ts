/**
 * Deployment webhooks (SPEC §8, §4.3): runs started through a deployment notify its targets of
 * the events they asked for, with a signed JSON POST to a real socket; failed attempts are
 * retried with backoff, every attempt is in the run's log, a pending retry survives a restart
 * and an attempt cut short by a killed worker is made again by another. Private targets are
 * refused when the server is told to, and URLs that are not http(s) never get stored.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { verifySignature } from '../../src/engine/webhooks/webhook-delivery.js';
import { engineProcesses, probePackage, until } from '../engine-processes/cluster.js';
import { describeEachBackend } from '../helpers/backends.js';
import { Receiver, type Received } from '../helpers/webhook-receiver.js';
import { restartHarness, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import {
  ANY_STRING,
  createBatch,
  expectError,
  getLogs,
  matching,
  publishOk,
  waitForLog,
  waitForRun,
  type RunObject,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

interface EventBody {
  id: string;
  type: string;
  created_at: string;
  deployment_id: string;
  run: RunObject;
}

const ALL_EVENTS = [
  'run.started',
  'run.completed',
  'run.failed',
  'run.cancelled',
  'run.stopped_at_checkpoint',
];

const nowSeconds = () => Math.floor(Date.now() / 1000);
const parse = (r: Received) => JSON.parse(r.body) as EventBody;

describeEachBackend('deployment webhooks', (backend) => {
  let h: Harness | undefined;
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await receiver.close();
  });

  const ENV = { RUNBOX_WEBHOOK_RETRY_BASE_MS: '200', RUNBOX_JOB_LEASE_MS: '2000' };

  async function start(env: Record<string, string> = {}): Promise<Harness> {
    h = await startHarness(backend, { ...ENV, ...env });
    await publishOk(h, h.tokens.alice, nodeApp('probe'));
    return h;
  }

  /** Creates a deployment of the `probe` app as alice; returns its id and signing secret. */
  async function deploy(
    hh: Harness,
    webhooks: { url: string; events: string[] }[],
    name = 'hooked',
    app_name = 'probe',
  ): Promise<{ id: string; webhook_secret: string }> {
    const res = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name, app_name, webhooks },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{ id: string; webhook_secret: string; webhooks: unknown }>();
    expect(body.webhook_secret).toEqual(expect.any(String));
    expect(body.webhooks).toEqual(webhooks);
    return body;
  }

  /** Starts a run of the deployment over a new batch of `files`. */
  async function runDeployment(
    hh: Harness,
    deploymentId: string,
    files: Record<string, string> = { 'a.txt': 'one two three' },
  ): Promise<RunObject> {
    const batch_id = await createBatch(hh, hh.tokens.alice, files);
    const res = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/deployments/${deploymentId}/runs`,
      payload: { batch_id },
    });
    expect(res.statusCode, res.body).toBe(202);
    return res.json<RunObject>();
  }

  /** Every job has settled (nothing PENDING or RUNNING): no notification is still on its way. */
  function jobsSettled(hh: Harness): Promise<true> {
    return waitFor(async () => {
      const counts = await hh.runbox.store.jobs.countByState();
      return (counts.PENDING ?? 0) + (counts.RUNNING ?? 0) === 0 ? true : undefined;
    }, 'every job to settle');
  }

  it('delivers run.started and run.completed, signed with the deployment secret', async () => {
    const hh = await start();
    const { id: deploymentId, webhook_secret } = await deploy(hh, [
      { url: receiver.url('/hook?token=abc'), events: ALL_EVENTS },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect(run.deployment_id).toBe(deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');

    const started = await receiver.delivered('run.started');
    const completed = await receiver.delivered('run.completed');
    for (const [r, type] of [
      [started, 'run.started'],
      [completed, 'run.completed'],
    ] as const) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/hook?token=abc');
      expect(r.headers['content-type']).toBe('application/json');
      const body = parse(r);
      expect(body).toMatchObject({ type, deployment_id: deploymentId, run: { id: run.id } });
      expect(r.headers['runbox-event-id']).toBe(body.id);
      expect(new Date(body.created_at).toISOString()).toBe(body.created_at);
      // The signature: `t=<unix s>,v1=<hex>` over "<t>.<body>", with the timestamp header's t.
      const signature = String(r.headers['runbox-signature']);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(signature.startsWith(`t=${String(r.headers['runbox-timestamp'])},`)).toBe(true);
      expect(verifySignature(webhook_secret, signature, r.body, nowSeconds())).toBe(true);
      expect(verifySignature(`${webhook_secret}x`, signature, r.body, nowSeconds())).toBe(false);
      expect(verifySignature(webhook_secret, signature, `${r.body} `, nowSeconds())).toBe(false);
    }
    expect(parse(started).id).not.toBe(parse(completed).id);
    // The completed event carries the finished run as the v2 API shows it.
    const completedRun = parse(completed).run;
    expect(completedRun.status).toBe('COMPLETE');
    const current = await hh.as(hh.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${run.id}`,
    });
    expect(completedRun).toEqual(current.json());

    // Each delivery is in the run's log, with the target's origin and path (no query).
    const log = await waitForLog(
      hh,
      hh.tokens.alice,
      run.id,
      `Webhook run.completed to ${receiver.url()}, attempt 1 of 7: delivered (HTTP 200).`,
    );
    expect(log).toContain(
      `Webhook run.started to ${receiver.url()}, attempt 1 of 7: delivered (HTTP 200).`,
    );
    expect(log).not.toContain('token=abc');
    await jobsSettled(hh);
    expect(receiver.received.map((r) => r.headers['runbox-event-type']).sort()).toEqual([
      'run.completed',
      'run.started',
    ]);
  });

  it('sends only the events a target asked for, to each target', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver.url('/completed-only'), events: ['run.completed'] },
      { url: receiver.url('/failed-only'), events: ['run.failed'] },
      { url: receiver.url('/started-only'), events: ['run.started'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');
    await receiver.delivered('run.completed');
    await receiver.delivered('run.started');
    await jobsSettled(hh);
    expect(receiver.received.map((r) => [r.path, r.headers['runbox-event-type']]).sort()).toEqual([
      ['/completed-only', 'run.completed'],
      ['/started-only', 'run.started'],
    ]);

    // A deployment without webhooks, and runs started without a deployment, send nothing.
    const { id: silent } = await deploy(hh, [], 'silent');
    const quiet = await runDeployment(hh, silent);
    expect((await waitForRun(hh, hh.tokens.alice, quiet.id)).status).toBe('COMPLETE');
    await jobsSettled(hh);
    expect(receiver.received).toHaveLength(2);
    expect(await getLogs(hh, hh.tokens.alice, quiet.id)).not.toContain('Webhook');
  });

  it('retries a target that answers 500 and delivers on attempt 3, logging every attempt', async () => {
    const hh = await start();
    receiver.answer = (n) => (n <= 2 ? 500 : 200);
    const { id: deploymentId, webhook_secret } = await deploy(hh, [
      { url: receiver.url(), events: ['run.completed'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');

    const delivered = await receiver.delivered('run.completed');
    const log = await waitForLog(hh, hh.tokens.alice, run.id, 'attempt 3 of 7: delivered');
    const what = `Webhook run.completed to ${receiver.url()}`;
    expect(log).toContain(`${what}, attempt 1 of 7: failed (HTTP 500); will retry.`);
    expect(log).toContain(`${what}, attempt 2 of 7: failed (HTTP 500); will retry.`);
    expect(log).toContain(`${what}, attempt 3 of 7: delivered (HTTP 200).`);
    expect(log.indexOf('attempt 1 of 7')).toBeLessThan(log.indexOf('attempt 2 of 7'));
    expect(log.indexOf('attempt 2 of 7')).toBeLessThan(log.indexOf('attempt 3 of 7'));

    // Three requests of the same event (same id and body, so a receiver can deduplicate),
    // each freshly signed.
    const attempts = receiver.of('run.completed');
    expect(attempts.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((r) => r.headers['runbox-event-id'])).size).toBe(1);
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    for (const r of attempts) {
      expect(
        verifySignature(
          webhook_secret,
          String(r.headers['runbox-signature']),
          r.body,
          nowSeconds(),
        ),
      ).toBe(true);
    }
    expect(delivered).toBe(attempts[2]);
    await jobsSettled(hh);
    expect(receiver.of('run.completed')).toHaveLength(3);
  });

  it('notifies run.failed for a run whose every file failed', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver.url(), events: ['run.completed', 'run.failed'] },
    ]);
    const run = await runDeployment(hh, deploymentId, { 'throw-1.txt': 'x', 'throw-2.txt': 'y' });
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('FAILED');
    const failed = parse(await receiver.delivered('run.failed'));
    expect(failed).toMatchObject({
      type: 'run.failed',
      deployment_id: deploymentId,
      run: { id: run.id, status: 'FAILED' },
    });
    await waitForLog(hh, hh.tokens.alice, run.id, 'Webhook run.failed to');
    await jobsSettled(hh);
    expect(receiver.of('run.completed')).toEqual([]);
  });

  it('notifies run.cancelled for a cancelled run', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [{ url: receiver.url(), events: ALL_EVENTS }]);
    const run = await runDeployment(hh, deploymentId, { 'slow.txt': 'waits for the abort' });
    await waitForLog(hh, hh.tokens.alice, run.id, 'started slow.txt');
    const cancel = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${run.id}/cancel`,
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('CANCELLED');
    const cancelled = parse(await receiver.delivered('run.cancelled'));
    expect(cancelled).toMatchObject({ run: { id: run.id, status: 'CANCELLED' } });
    await receiver.delivered('run.started');
    await jobsSettled(hh);
    expect(receiver.of('run.completed')).toEqual([]);
    expect(receiver.of('run.failed')).toEqual([]);
  });

  it('notifies run.stopped_at_checkpoint, then run.completed once the run is resumed', async () => {
    const hh = await start();
    // Every document fails validation (fewer than 100 words), and failures go to review.
    await publishOk(
      hh,
      hh.tokens.alice,
      nodeApp('strict', '1.0.0', {
        fields: [{ name: 'word count', type: 'NUMBER', min: 100 }, { name: 'file name' }],
        review: 'on_validation_failure',
      }),
    );
    const { id: deploymentId } = await deploy(
      hh,
      [{ url: receiver.url(), events: ['run.stopped_at_checkpoint', 'run.completed'] }],
      'reviewed',
      'strict',
    );
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id, ['STOPPED_AT_CHECKPOINT'])).status).toBe(
      'STOPPED_AT_CHECKPOINT',
    );
    const stopped = parse(await receiver.delivered('run.stopped_at_checkpoint'));
    expect(stopped).toMatchObject({ run: { id: run.id, status: 'STOPPED_AT_CHECKPOINT' } });
    expect(receiver.of('run.completed')).toEqual([]);

    const resume = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${run.id}/resume`,
      payload: { force: true },
    });
    expect(resume.statusCode, resume.body).toBe(200);
    const completed = parse(await receiver.delivered('run.completed'));
    expect(completed).toMatchObject({
      run: { id: run.id, status: 'COMPLETE', msg: matching(/Resumed by alice/) },
    });
    expect(completed.id).not.toBe(stopped.id);
  });

  it('shows the run as it was at the event, even when the notification is sent after the run moved on', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver.url(), events: ['run.started', 'run.completed'] },
    ]);
    // With the job runner stopped the run starts and completes before anyone is notified.
    await hh.runbox.jobRunner!.stop();
    const run = await runDeployment(hh, deploymentId);
    const finished = await waitForRun(hh, hh.tokens.alice, run.id);
    expect(finished.status).toBe('COMPLETE');
    expect(receiver.received).toEqual([]);
    hh.runbox.jobRunner!.start();

    const started = parse(await receiver.delivered('run.started'));
    expect(started.run).toEqual({
      ...finished,
      status: 'RUNNING',
      finish_timestamp: null,
      msg: ANY_STRING,
    });
    const completed = parse(await receiver.delivered('run.completed'));
    expect(completed.run).toEqual(finished);
    expect(Date.parse(started.created_at)).toBeLessThanOrEqual(Date.parse(completed.created_at));
  });

  it('retries from a restarted server: a pending retry survives the restart and arrives', async () => {
    let hh = await start();
    // Until the first server is closed, every attempt fails.
    let up = false;
    receiver.answer = () => (up ? 200 : 500);
    const { id: deploymentId, webhook_secret } = await deploy(hh, [
      { url: receiver.url(), events: ['run.completed'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');
    await waitForLog(hh, hh.tokens.alice, run.id, 'attempt 1 of 7: failed (HTTP 500); will retry.');

    hh = h = await restartHarness(hh);
    // Only the new process is running: whatever the receiver accepts from now on, it sent.
    const failedBefore = receiver.received.length;
    expect(failedBefore).toBeGreaterThanOrEqual(1);
    up = true;
    const delivered = await receiver.delivered('run.completed');
    expect(parse(delivered)).toMatchObject({ type: 'run.completed', run: { id: run.id } });
    expect(
      verifySignature(
        webhook_secret,
        String(delivered.headers['runbox-signature']),
        delivered.body,
        nowSeconds(),
      ),
    ).toBe(true);
    const log = await waitForLog(
      hh,
      hh.tokens.alice,
      run.id,
      `attempt ${failedBefore + 1} of 7: delivered (HTTP 200).`,
    );
    expect(log).toContain('attempt 1 of 7: failed (HTTP 500); will retry.');
    expect(receiver.of('run.completed').map((r) => r.answered)).toEqual([
      ...Array<number>(failedBefore).fill(500),
      200,
    ]);
  });

  it('refuses private targets when RUNBOX_WEBHOOK_REFUSE_PRIVATE is set: logged as failed, nothing sent', async () => {
    const hh = await start({ RUNBOX_WEBHOOK_REFUSE_PRIVATE: 'true' });
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver.url(), events: ['run.completed'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');
    const log = await waitForLog(hh, hh.tokens.alice, run.id, 'attempt 2 of 7: failed');
    expect(log).toMatch(
      /Webhook run\.completed to http:\/\/127\.0\.0\.1:\d+\/hook, attempt 1 of 7: failed \(refused: 127\.0\.0\.1 is a private network address \(loopback\).*\); will retry\./,
    );
    expect(receiver.received).toEqual([]);
  });

  it('refuses webhook URLs that are not http(s) when the deployment is created', async () => {
    const hh = await start();
    for (const url of [
      'ftp://example.com/hook',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
      'http://user:secret@example.com/hook',
    ]) {
      const res = await hh.as(hh.tokens.alice, {
        method: 'POST',
        url: '/api/v2/apps/deployments',
        payload: {
          name: 'bad',
          app_name: 'probe',
          webhooks: [
            { url: 'https://example.com/ok', events: ['run.completed'] },
            { url, events: ['run.completed'] },
          ],
        },
      });
      expect(expectError(res, 400, 'invalid-input'), url).toMatch(/webhooks\[1\]\.url/);
    }
    // An unknown event is refused too; nothing was created.
    const unknownEvent = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: {
        name: 'bad',
        app_name: 'probe',
        webhooks: [{ url: 'https://example.com/ok', events: ['run.exploded'] }],
      },
    });
    expectError(unknownEvent, 400, 'invalid-input');
    const list = await hh.as(hh.tokens.alice, { method: 'GET', url: '/api/v2/apps/deployments' });
    expect(list.json<{ deployments: unknown[] }>().deployments).toEqual([]);

    // Changing a deployment's webhooks is checked the same way.
    const { id } = await deploy(hh, [{ url: receiver.url(), events: ['run.completed'] }]);
    const patch = await hh.as(hh.tokens.alice, {
      method: 'PATCH',
      url: `/api/v2/apps/deployments/${id}`,
      payload: { webhooks: [{ url: 'gopher://example.com/', events: ['run.completed'] }] },
    });
    expect(expectError(patch, 400, 'invalid-input')).toMatch(/webhooks\[0\]\.url/);
    const kept = await hh.as(hh.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/deployments/${id}`,
    });
    expect(kept.json<{ webhooks: unknown }>().webhooks).toEqual([
      { url: receiver.url(), events: ['run.completed'] },
    ]);
  });
});

/**
 * A worker process killed (SIGKILL) while its delivery attempt is under way: no clean shutdown,
 * its lease on the delivery job runs out, and another worker makes the next attempt.
 */
describeEachBackend('webhook delivery across a worker crash', (backend) => {
  const { cluster } = engineProcesses();
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('a delivery in flight on a killed worker is retried by another worker and arrives', async () => {
    receiver = await Receiver.start();
    // The first request is held open until its worker dies; the next ones are answered.
    receiver.answer = (n) => (n === 1 ? 'hold' : 200);
    const c = await cluster(backend, {
      RUNBOX_JOB_LEASE_MS: '1000',
      RUNBOX_WEBHOOK_RETRY_BASE_MS: '200',
      RUNBOX_WEBHOOK_TIMEOUT_MS: '600000',
    });
    const victim = await c.startWorker();
    const user = c.admin;
    await user.publish(await probePackage(1));
    const deployment = await user.json<{ id: string; webhook_secret: string }>(
      '/api/v2/apps/deployments',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'hooked',
          app_name: 'probe',
          webhooks: [{ url: receiver.url(), events: ['run.completed'] }],
        }),
      },
      201,
    );
    const run = await user.json<{ id: string }>(
      `/api/v2/apps/deployments/${deployment.id}/runs`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ batch_id: await user.batch(['a.txt']) }),
      },
      202,
    );
    expect(await user.finished(run.id)).toMatchObject({ status: 'COMPLETE' });
    const r = receiver;
    await until('the first attempt to reach the receiver', () =>
      r.received.length === 1 ? true : undefined,
    );
    expect(await victim.crash()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(r.received).toHaveLength(1);

    await c.startWorker();
    const delivered = await r.delivered('run.completed');
    expect(delivered.headers['runbox-event-id']).toBe(r.received[0]!.headers['runbox-event-id']);
    expect(delivered.body).toBe(r.received[0]!.body);
    expect(JSON.parse(delivered.body)).toMatchObject({
      type: 'run.completed',
      run: { id: run.id, status: 'COMPLETE' },
    });
    expect(
      verifySignature(
        deployment.webhook_secret,
        String(delivered.headers['runbox-signature']),
        delivered.body,
        nowSeconds(),
      ),
    ).toBe(true);
    // The killed worker never logged its attempt; the next one is attempt 2.
    const log = await until('the delivery in the run log', async () => {
      const text = await user.log(run.id);
      return text.includes('attempt 2 of 7: delivered (HTTP 200).') ? text : undefined;
    });
    expect(log).not.toContain('attempt 1 of 7');
    expect(r.received.map((x) => x.answered)).toEqual([0, 200]);
  });
});

/**
 * Deployment webhooks (SPEC §8, §4.3), recovery: a pending retry survives a restart of the
 * server, and an attempt cut short by a killed worker is made again by another.
 */
import { afterEach, expect, it } from 'vitest';
import { verifySignature } from '../../src/engine/webhooks/webhook-delivery.js';
import { describeEachBackend } from '../helpers/backends.js';
import { Receiver } from '../helpers/webhook-receiver.js';
import { engineProcesses, probePackage, until } from '../engine-processes/cluster.js';
import { waitForLog, waitForRun } from './run-helpers.js';
import { deploy, nowSeconds, parse, runDeployment, webhookSuite } from './webhook-fixtures.js';

describeEachBackend('deployment webhooks across a restart', (backend) => {
  const { receiver, start, restart } = webhookSuite(backend);

  it('retries from a restarted server: a pending retry survives the restart and arrives', async () => {
    let hh = await start();
    // Until the first server is closed, every attempt fails.
    let up = false;
    receiver().answer = () => (up ? 200 : 500);
    const { id: deploymentId, webhook_secret } = await deploy(hh, [
      { url: receiver().url(), events: ['run.completed'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');
    await waitForLog(hh, hh.tokens.alice, run.id, 'attempt 1 of 7: failed (HTTP 500); will retry.');

    hh = await restart(hh);
    // Only the new process is running: whatever the receiver accepts from now on, it sent.
    const failedBefore = receiver().received.length;
    expect(failedBefore).toBeGreaterThanOrEqual(1);
    up = true;
    const delivered = await receiver().delivered('run.completed');
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
    expect(
      receiver()
        .of('run.completed')
        .map((r) => r.answered),
    ).toEqual([...Array<number>(failedBefore).fill(500), 200]);
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

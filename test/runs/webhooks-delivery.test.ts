/**
 * Deployment webhooks (SPEC §8, §4.3), delivery: runs started through a deployment notify its
 * targets of the events they asked for, with a signed JSON POST to a real socket; failed
 * attempts are retried with backoff and every attempt is in the run's log. Private targets are
 * refused when the server is told to, and URLs that are not http(s) never get stored. Which
 * event each run sends is in webhooks-events.test.ts, restarts and crashes in
 * webhooks-recovery.test.ts.
 */
import { expect, it } from 'vitest';
import { verifySignature } from '../../src/engine/webhooks/webhook-delivery.js';
import { describeEachBackend } from '../helpers/backends.js';
import { expectError, getLogs, waitForLog, waitForRun } from './run-helpers.js';
import {
  ALL_EVENTS,
  deploy,
  jobsSettled,
  nowSeconds,
  parse,
  runDeployment,
  webhookSuite,
} from './webhook-fixtures.js';

describeEachBackend('deployment webhooks', (backend) => {
  const { receiver, start } = webhookSuite(backend);

  it('delivers run.started and run.completed, signed with the deployment secret', async () => {
    const hh = await start();
    const { id: deploymentId, webhook_secret } = await deploy(hh, [
      { url: receiver().url('/hook?token=abc'), events: ALL_EVENTS },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect(run.deployment_id).toBe(deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');

    const started = await receiver().delivered('run.started');
    const completed = await receiver().delivered('run.completed');
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
      `Webhook run.completed to ${receiver().url()}, attempt 1 of 7: delivered (HTTP 200).`,
    );
    expect(log).toContain(
      `Webhook run.started to ${receiver().url()}, attempt 1 of 7: delivered (HTTP 200).`,
    );
    expect(log).not.toContain('token=abc');
    await jobsSettled(hh);
    expect(
      receiver()
        .received.map((r) => r.headers['runbox-event-type'])
        .sort(),
    ).toEqual(['run.completed', 'run.started']);
  });

  it('sends only the events a target asked for, to each target', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver().url('/completed-only'), events: ['run.completed'] },
      { url: receiver().url('/failed-only'), events: ['run.failed'] },
      { url: receiver().url('/started-only'), events: ['run.started'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');
    await receiver().delivered('run.completed');
    await receiver().delivered('run.started');
    await jobsSettled(hh);
    expect(
      receiver()
        .received.map((r) => [r.path, r.headers['runbox-event-type']])
        .sort(),
    ).toEqual([
      ['/completed-only', 'run.completed'],
      ['/started-only', 'run.started'],
    ]);

    // A deployment without webhooks, and runs started without a deployment, send nothing.
    const { id: silent } = await deploy(hh, [], 'silent');
    const quiet = await runDeployment(hh, silent);
    expect((await waitForRun(hh, hh.tokens.alice, quiet.id)).status).toBe('COMPLETE');
    await jobsSettled(hh);
    expect(receiver().received).toHaveLength(2);
    expect(await getLogs(hh, hh.tokens.alice, quiet.id)).not.toContain('Webhook');
  });

  it('retries a target that answers 500 and delivers on attempt 3, logging every attempt', async () => {
    const hh = await start();
    receiver().answer = (n) => (n <= 2 ? 500 : 200);
    const { id: deploymentId, webhook_secret } = await deploy(hh, [
      { url: receiver().url(), events: ['run.completed'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');

    const delivered = await receiver().delivered('run.completed');
    const log = await waitForLog(hh, hh.tokens.alice, run.id, 'attempt 3 of 7: delivered');
    const what = `Webhook run.completed to ${receiver().url()}`;
    expect(log).toContain(`${what}, attempt 1 of 7: failed (HTTP 500); will retry.`);
    expect(log).toContain(`${what}, attempt 2 of 7: failed (HTTP 500); will retry.`);
    expect(log).toContain(`${what}, attempt 3 of 7: delivered (HTTP 200).`);
    expect(log.indexOf('attempt 1 of 7')).toBeLessThan(log.indexOf('attempt 2 of 7'));
    expect(log.indexOf('attempt 2 of 7')).toBeLessThan(log.indexOf('attempt 3 of 7'));

    // Three requests of the same event (same id and body, so a receiver can deduplicate),
    // each freshly signed.
    const attempts = receiver().of('run.completed');
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
    expect(receiver().of('run.completed')).toHaveLength(3);
  });
  it('refuses private targets when RUNBOX_WEBHOOK_REFUSE_PRIVATE is set: logged as failed, nothing sent', async () => {
    const hh = await start({ RUNBOX_WEBHOOK_REFUSE_PRIVATE: 'true' });
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver().url(), events: ['run.completed'] },
    ]);
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('COMPLETE');
    const log = await waitForLog(hh, hh.tokens.alice, run.id, 'attempt 2 of 7: failed');
    expect(log).toMatch(
      /Webhook run\.completed to http:\/\/127\.0\.0\.1:\d+\/hook, attempt 1 of 7: failed \(refused: 127\.0\.0\.1 is a private network address \(loopback\).*\); will retry\./,
    );
    expect(receiver().received).toEqual([]);
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
    const { id } = await deploy(hh, [{ url: receiver().url(), events: ['run.completed'] }]);
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
      { url: receiver().url(), events: ['run.completed'] },
    ]);
  });
});

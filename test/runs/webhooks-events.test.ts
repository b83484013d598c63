/**
 * Deployment webhooks (SPEC §8, §4.3), the events: run.failed, run.cancelled and
 * run.stopped_at_checkpoint (then run.completed once resumed), each showing the run as it was
 * at the event, however late the notification is sent.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { ANY_STRING, matching, publishOk, waitForLog, waitForRun } from './run-helpers.js';
import { nodeApp } from './test-apps.js';
import {
  ALL_EVENTS,
  deploy,
  jobsSettled,
  parse,
  runDeployment,
  webhookSuite,
} from './webhook-fixtures.js';

describeEachBackend('deployment webhook events', (backend) => {
  const { receiver, start } = webhookSuite(backend);

  it('notifies run.failed for a run whose every file failed', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver().url(), events: ['run.completed', 'run.failed'] },
    ]);
    const run = await runDeployment(hh, deploymentId, { 'throw-1.txt': 'x', 'throw-2.txt': 'y' });
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('FAILED');
    const failed = parse(await receiver().delivered('run.failed'));
    expect(failed).toMatchObject({
      type: 'run.failed',
      deployment_id: deploymentId,
      run: { id: run.id, status: 'FAILED' },
    });
    await waitForLog(hh, hh.tokens.alice, run.id, 'Webhook run.failed to');
    await jobsSettled(hh);
    expect(receiver().of('run.completed')).toEqual([]);
  });

  it('notifies run.cancelled for a cancelled run', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [{ url: receiver().url(), events: ALL_EVENTS }]);
    const run = await runDeployment(hh, deploymentId, { 'slow.txt': 'waits for the abort' });
    await waitForLog(hh, hh.tokens.alice, run.id, 'started slow.txt');
    const cancel = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${run.id}/cancel`,
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await waitForRun(hh, hh.tokens.alice, run.id)).status).toBe('CANCELLED');
    const cancelled = parse(await receiver().delivered('run.cancelled'));
    expect(cancelled).toMatchObject({ run: { id: run.id, status: 'CANCELLED' } });
    await receiver().delivered('run.started');
    await jobsSettled(hh);
    expect(receiver().of('run.completed')).toEqual([]);
    expect(receiver().of('run.failed')).toEqual([]);
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
      [{ url: receiver().url(), events: ['run.stopped_at_checkpoint', 'run.completed'] }],
      'reviewed',
      'strict',
    );
    const run = await runDeployment(hh, deploymentId);
    expect((await waitForRun(hh, hh.tokens.alice, run.id, ['STOPPED_AT_CHECKPOINT'])).status).toBe(
      'STOPPED_AT_CHECKPOINT',
    );
    const stopped = parse(await receiver().delivered('run.stopped_at_checkpoint'));
    expect(stopped).toMatchObject({ run: { id: run.id, status: 'STOPPED_AT_CHECKPOINT' } });
    expect(receiver().of('run.completed')).toEqual([]);

    const resume = await hh.as(hh.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${run.id}/resume`,
      payload: { force: true },
    });
    expect(resume.statusCode, resume.body).toBe(200);
    const completed = parse(await receiver().delivered('run.completed'));
    expect(completed).toMatchObject({
      run: { id: run.id, status: 'COMPLETE', msg: matching(/Resumed by alice/) },
    });
    expect(completed.id).not.toBe(stopped.id);
  });

  it('shows the run as it was at the event, even when the notification is sent after the run moved on', async () => {
    const hh = await start();
    const { id: deploymentId } = await deploy(hh, [
      { url: receiver().url(), events: ['run.started', 'run.completed'] },
    ]);
    // With the job runner stopped the run starts and completes before anyone is notified.
    await hh.runbox.jobRunner!.stop();
    const run = await runDeployment(hh, deploymentId);
    const finished = await waitForRun(hh, hh.tokens.alice, run.id);
    expect(finished.status).toBe('COMPLETE');
    expect(receiver().received).toEqual([]);
    hh.runbox.jobRunner!.start();

    const started = parse(await receiver().delivered('run.started'));
    expect(started.run).toEqual({
      ...finished,
      status: 'RUNNING',
      finish_timestamp: null,
      msg: ANY_STRING,
    });
    const completed = parse(await receiver().delivered('run.completed'));
    expect(completed.run).toEqual(finished);
    expect(Date.parse(started.created_at)).toBeLessThanOrEqual(Date.parse(completed.created_at));
  });
});

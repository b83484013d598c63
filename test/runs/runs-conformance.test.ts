/**
 * Every runs response validates against the AI Hub reference (SPEC §4: "every v2 response must
 * validate"), strictly: no field the reference does not name. Successes and the errors a
 * client can cause, for runApp, listRuns, getRunStatus, getRunResults, deleteRun and jobStatus.
 */
import type { InjectOptions } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  publishExampleApps,
  publishOk,
  TERMINAL,
  type RunObject,
  waitForRun,
  writeFolder,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';
import { expectReference } from '../conformance/reference-validator.js';

describeEachBackend('runs conformance', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  async function call(
    operationId: string,
    opts: InjectOptions,
    status: number,
    token = h.tokens.alice,
  ) {
    const res = await h.as(token, opts);
    expectReference(operationId, res);
    expect(res.statusCode, res.body).toBe(status);
    return res;
  }
  const runApp = (payload: unknown, status: number, token = h.tokens.alice) =>
    call(
      'runApp',
      { method: 'POST', url: '/api/v2/apps/runs', payload: payload as object },
      status,
      token,
    );

  it('runApp, getRunStatus and listRuns, with their errors', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a b', 'throw.txt': 'x' });
    await writeFolder(h, h.tokens.alice, 'acme/alice/fs/Runbox Drive/in', { 'f.txt': 'f' });

    const fromBatch = (
      await runApp({ app_id, batch_id: batch, settings: { tags: ['t'] } }, 200)
    ).json<RunObject>();
    const fromFolder = (
      await runApp({ app_name: 'probe', input_dir: 'acme/alice/fs/Runbox Drive/in' }, 200)
    ).json<RunObject>();
    await runApp({ app_name: 'nope', batch_id: batch }, 404);
    await runApp({ app_id, app_name: 'probe', batch_id: batch }, 400);
    await runApp({ app_id, batch_id: batch, extra: 1 }, 400);
    await runApp({ app_id, batch_id: batch }, 400, h.tokens.robot);
    await call(
      'runApp',
      {
        method: 'POST',
        url: '/api/v2/apps/runs',
        payload: '{',
        headers: { 'content-type': 'application/json' },
      },
      400,
    );

    for (const run of [fromBatch, fromFolder]) {
      await call('getRunStatus', { method: 'GET', url: `/api/v2/apps/runs/${run.id}` }, 200);
      await waitForRun(h, h.tokens.alice, run.id);
      await call('getRunStatus', { method: 'GET', url: `/api/v2/apps/runs/${run.id}` }, 200);
    }
    await call('getRunStatus', { method: 'GET', url: '/api/v2/apps/runs/unknown' }, 404);
    await call(
      'getRunStatus',
      { method: 'GET', url: `/api/v2/apps/runs/${fromBatch.id}` },
      404,
      h.tokens.eve,
    );

    const listed = await call('listRuns', { method: 'GET', url: '/api/v2/apps/runs' }, 200);
    expect(listed.json<{ runs: unknown[] }>().runs).toHaveLength(2);
    for (const q of [
      '?status=COMPLETE&status=FAILED&sort_by=status&order=ASCENDING',
      '?limit=1&offset=1',
      '?app_name=nope',
    ]) {
      await call('listRuns', { method: 'GET', url: `/api/v2/apps/runs${q}` }, 200);
    }
    await call('listRuns', { method: 'GET', url: '/api/v2/apps/runs?status=WHATEVER' }, 400);
    await call('listRuns', { method: 'GET', url: '/api/v2/apps/runs' }, 200, h.tokens.eve);
  });

  it('runDeployment, with its errors', async () => {
    h = await startHarness(backend);
    await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a b' });
    const created = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name: 'nightly', app_name: 'probe', keys: { custom: { gate: '/nonexistent' } } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const deployment = created.json<{ id: string }>().id;
    const runDeployment = (id: string, payload: unknown, status: number, token = h.tokens.alice) =>
      call(
        'runDeployment',
        {
          method: 'POST',
          url: `/api/v2/apps/deployments/${id}/runs`,
          payload: payload as object,
        },
        status,
        token,
      );
    const run = (
      await runDeployment(deployment, { batch_id: batch, settings: { tags: ['nightly'] } }, 202)
    ).json<RunObject>();
    expect(run.deployment_id).toBe(deployment);
    await waitForRun(h, h.tokens.alice, run.id);
    await runDeployment('01902d6f-bb35-74cb-bd27-c09b38bbf20a', { batch_id: batch }, 404);
    await runDeployment(deployment, { batch_id: batch }, 404, h.tokens.eve);
    await runDeployment(deployment, { batch_id: batch, app_name: 'probe' }, 400);
    await runDeployment(deployment, {}, 400);
    await runDeployment(deployment, { batch_id: batch, version: '9.9.9' }, 404);
  });

  it('getRunResults with every flag, for finished, failed and unfinished runs', async () => {
    h = await startHarness(backend);
    await publishExampleApps(h);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const invoices = await createBatch(h, h.tokens.alice, {
      'inv.txt': 'Invoice Number: INV-7\nInvoice Date: 2026-01-02\nVendor: X\nTotal EUR 10.00\n',
      'bad.png': 'not an invoice',
    });
    const mixed = await createBatch(h, h.tokens.alice, {
      'a.txt': 'a',
      'throw.txt': 'x',
      'slow.txt': 's',
    });
    const invoiceRun = (
      await runApp({ app_name: 'invoice-extractor', batch_id: invoices }, 200)
    ).json<RunObject>();
    const mixedRun = (await runApp({ app_id, batch_id: mixed }, 200)).json<RunObject>();
    // While a file is still running, results show what there is so far.
    await waitFor(async () => {
      const res = await h.as(h.tokens.alice, {
        method: 'GET',
        url: `/api/v2/apps/runs/${mixedRun.id}/logs`,
      });
      return res.body.includes('started slow.txt') ? true : undefined;
    }, 'slow.txt to start');
    await call(
      'getRunResults',
      { method: 'GET', url: `/api/v2/apps/runs/${mixedRun.id}/results` },
      200,
    );
    await h.as(h.tokens.alice, { method: 'POST', url: `/api/v2/apps/runs/${mixedRun.id}/cancel` });

    for (const run of [invoiceRun, mixedRun]) {
      await waitForRun(h, h.tokens.alice, run.id, [...TERMINAL, 'STOPPED_AT_CHECKPOINT']);
      for (const q of [
        '',
        '?include_confidence_scores=true',
        '?include_source_info=true',
        '?include_review_results=true&include_validation_results=true',
        '?include_confidence_scores=true&include_source_info=true&file_offset=1',
        '?file_offset=99',
      ]) {
        await call(
          'getRunResults',
          { method: 'GET', url: `/api/v2/apps/runs/${run.id}/results${q}` },
          200,
        );
      }
    }
    await call('getRunResults', { method: 'GET', url: '/api/v2/apps/runs/unknown/results' }, 404);
    await call(
      'getRunResults',
      { method: 'GET', url: `/api/v2/apps/runs/${invoiceRun.id}/results?file_offset=x` },
      400,
    );
  });

  it('deleteRun and the jobStatus of its jobs, with their errors', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    const run = (await runApp({ app_id, batch_id: batch }, 200)).json<RunObject>();
    const url = `/api/v2/apps/runs/${run.id}`;
    await call('deleteRun', { method: 'DELETE', url }, 409);
    await call('deleteRun', { method: 'DELETE', url }, 403, h.tokens.bob);
    await call('deleteRun', { method: 'DELETE', url }, 404, h.tokens.eve);
    await call('deleteRun', { method: 'DELETE', url: `${url}?delete_logs=maybe` }, 400);
    await h.as(h.tokens.alice, { method: 'POST', url: `${url}/cancel` });
    const kept = await call(
      'deleteRun',
      { method: 'DELETE', url: `${url}?delete_db_data=false&delete_input=false` },
      202,
    );
    const jobId = kept.json<{ delete_log_dir_job_id: string }>().delete_log_dir_job_id;
    // No workers here: the job is PENDING, and answers so.
    const job = await call('jobStatus', { method: 'GET', url: `/api/v2/jobs/${jobId}` }, 200);
    expect(job.json()).toMatchObject({ state: 'PENDING' });
    await call('deleteRun', { method: 'DELETE', url }, 202);
    await call('jobStatus', { method: 'GET', url: '/api/v2/jobs/unknown-job' }, 404);
  });
});

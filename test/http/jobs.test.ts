import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';
import { createBatch, drive, expectError, OCTET } from './http-helpers.js';

describeEachBackend('v2 jobs', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const status = (token: string, id: string, base = '/api/v2/jobs') =>
    h.as(token, { method: 'GET', url: `${base}/${id}` });

  it('answers 404 record-not-found for an unknown job id, on both paths', async () => {
    h = await startHarness(backend);
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nope', '12345']) {
      expectError(await status(h.tokens.alice, id), 404, 'record-not-found');
      expectError(
        await status(h.tokens.alice, id, '/api/v2/batches/jobs'),
        404,
        'record-not-found',
      );
    }
  });

  it('answers 404 for another org’s job', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const del = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${id}` });
    const jobId = del.json<{ job_id: string }>().job_id;
    const fileDel = await h.as(h.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/files/${drive('alice')}/nothing.txt`,
    });
    const fileJob = (fileDel.headers.location as string).split('/').at(-1)!;

    for (const job of [jobId, fileJob]) {
      expect((await waitForJob(h, h.tokens.alice, job)).state).toBe('COMPLETE');
      expectError(await status(h.tokens.eve, job), 404, 'record-not-found');
      expectError(await status(h.tokens.eve, job, '/api/v2/batches/jobs'), 404, 'record-not-found');
      // The same org sees it, whoever started it.
      expect((await status(h.tokens.bob, job)).statusCode).toBe(200);
    }
  });

  it('reports every deletion job with a state from the reference and a message', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    await h.as(h.tokens.alice, {
      method: 'PUT',
      url: `/api/v2/batches/${id}/files/a.txt`,
      payload: 'a',
      headers: OCTET,
    });
    const fileDel = await h.as(h.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/batches/${id}/files/a.txt`,
    });
    const first = await status(
      h.tokens.alice,
      (fileDel.headers.location as string).split('/').at(-1)!,
    );
    expect(first.statusCode).toBe(200);
    expect(['PENDING', 'RUNNING', 'COMPLETE']).toContain(first.json<{ state: string }>().state);
    expect(Object.keys(first.json()).sort()).toEqual(['message', 'state']);

    const done = await waitForJob(
      h,
      h.tokens.alice,
      (fileDel.headers.location as string).split('/').at(-1)!,
    );
    expect(done).toEqual({ state: 'COMPLETE', message: expect.stringMatching(/\S/) as string });
  });
});

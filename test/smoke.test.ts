import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/backends.js';
import { startHarness, waitForJob, type Harness } from './helpers/harness.js';

describeEachBackend('smoke', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('creates a batch, uploads a file, deletes the batch through a job', async () => {
    h = await startHarness(backend);
    const created = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'first' },
    });
    expect(created.statusCode).toBe(200);
    const { id } = created.json<{ id: number }>();
    const put = await h.as(h.tokens.alice, {
      method: 'PUT',
      url: `/api/v2/batches/${id}/files/a.txt`,
      payload: Buffer.from('hello'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.statusCode).toBe(204);
    const del = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${id}` });
    expect(del.statusCode).toBe(202);
    const job = await waitForJob(h, h.tokens.alice, del.json<{ job_id: string }>().job_id);
    expect(job.state).toBe('COMPLETE');
    const gone = await h.as(h.tokens.alice, { method: 'GET', url: `/api/v2/batches/${id}` });
    expect(gone.statusCode).toBe(404);
  });
});

import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';
import {
  batchObjects,
  createBatch,
  expectError,
  listBatchFiles,
  putBatchFile,
  storedBatchFile,
} from './http-helpers.js';
import type { BatchInfo } from '../../src/services/batch-service.js';

describeEachBackend('v2 batches', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const getBatch = (token: string, id: number | string) =>
    h.as(token, { method: 'GET', url: `/api/v2/batches/${id}` });
  const listIds = async (token: string, query = '') => {
    const res = await h.as(token, { method: 'GET', url: `/api/v2/batches${query}` });
    expect(res.statusCode, res.payload).toBe(200);
    return res.json<{ batches: BatchInfo[] }>().batches.map((b) => b.id);
  };

  it('creates a batch in the personal workspace by default, and in a named one on request', async () => {
    h = await startHarness(backend);
    const res = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'invoices' },
    });
    expect(res.statusCode).toBe(200);
    const { id } = res.json<{ id: number }>();
    expect(Number.isInteger(id)).toBe(true);
    expect((await getBatch(h.tokens.alice, id)).json<BatchInfo>().workspace).toBe('alice');

    const shared = await createBatch(h, h.tokens.bob, { name: 'team', workspace: 'shared' });
    expect(shared).not.toBe(id);
    expect((await getBatch(h.tokens.bob, shared)).json<BatchInfo>().workspace).toBe('shared');
  });

  it('requires a workspace from a service account', async () => {
    h = await startHarness(backend);
    const res = await h.as(h.tokens.robot, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'nightly' },
    });
    expectError(res, 400, 'invalid-input');
    expect(res.json<{ message: string }>().message).toMatch(/workspace/);
    expect(await listIds(h.tokens.alice)).toEqual([]);

    const id = await createBatch(h, h.tokens.robot, { name: 'nightly', workspace: 'shared' });
    expect((await getBatch(h.tokens.robot, id)).json<BatchInfo>().batch_owner).toBe('robot');
  });

  it('answers 404 for a workspace that does not exist or is someone else’s, creating nothing', async () => {
    h = await startHarness(backend);
    const unknown = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'x', workspace: 'nowhere' },
    });
    expectError(unknown, 404, 'record-not-found');
    const others = await h.as(h.tokens.bob, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'x', workspace: 'alice' },
    });
    expectError(others, 404, 'record-not-found');
    const otherOrg = await h.as(h.tokens.eve, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'x', workspace: 'shared' },
    });
    expectError(otherOrg, 404, 'record-not-found');
    expect(await listIds(h.tokens.alice)).toEqual([]);
  });

  it('returns every batchInfo field', async () => {
    h = await startHarness(backend);
    const before = Date.now();
    const id = await createBatch(h, h.tokens.bob, { name: 'Q3 receipts', workspace: 'shared' });
    const after = Date.now();
    const res = await getBatch(h.tokens.bob, id);
    expect(res.statusCode).toBe(200);
    const info = res.json<BatchInfo>();
    expect(info).toEqual({
      id,
      name: 'Q3 receipts',
      workspace: 'shared',
      mount_point: 'Runbox Drive',
      repo_owner: 'acme',
      batch_owner: 'bob',
      created_at_ms: info.created_at_ms,
      updated_at_ms: info.created_at_ms,
      path_suffix: `batches/${id}`,
    });
    // Milliseconds, as the reference says (not seconds, not nanoseconds).
    expect(info.created_at_ms).toBeGreaterThanOrEqual(before);
    expect(info.created_at_ms).toBeLessThanOrEqual(after);

    const personal = await createBatch(h, h.tokens.bob, { name: 'mine' });
    expect((await getBatch(h.tokens.bob, personal)).json<BatchInfo>().repo_owner).toBe('bob');

    expect((await putBatchFile(h, h.tokens.bob, id, 'a.txt', 'a')).statusCode).toBe(204);
    const touched = (await getBatch(h.tokens.bob, id)).json<BatchInfo>();
    expect(touched.updated_at_ms).toBeGreaterThanOrEqual(info.updated_at_ms);
    expect(touched.created_at_ms).toBe(info.created_at_ms);
  });

  it('hides batches outside the context: other orgs and other members’ personal workspaces', async () => {
    h = await startHarness(backend);
    const alices = await createBatch(h, h.tokens.alice, { name: 'private' });
    const bobs = await createBatch(h, h.tokens.bob, { name: 'bob private' });
    expectError(await getBatch(h.tokens.bob, alices), 404, 'record-not-found');
    expectError(await getBatch(h.tokens.eve, alices), 404, 'record-not-found');
    expectError(await getBatch(h.tokens.alice, 99999), 404, 'record-not-found');
    // An admin sees members' personal batches.
    expect((await getBatch(h.tokens.alice, bobs)).statusCode).toBe(200);
  });

  it('lists what the caller may see, newest first, with workspace, username, limit and offset', async () => {
    h = await startHarness(backend);
    const a1 = await createBatch(h, h.tokens.alice, { name: 'a1' });
    const s1 = await createBatch(h, h.tokens.alice, { name: 's1', workspace: 'shared' });
    const b1 = await createBatch(h, h.tokens.bob, { name: 'b1' });
    const s2 = await createBatch(h, h.tokens.bob, { name: 's2', workspace: 'shared' });
    const r1 = await createBatch(h, h.tokens.robot, { name: 'r1', workspace: 'shared' });
    await createBatch(h, h.tokens.eve, { name: 'e1' });

    expect(await listIds(h.tokens.bob)).toEqual([r1, s2, b1, s1]);
    expect(await listIds(h.tokens.alice)).toEqual([r1, s2, b1, s1, a1]);
    expect(await listIds(h.tokens.eve)).toHaveLength(1);

    expect(await listIds(h.tokens.alice, '?workspace=shared')).toEqual([r1, s2, s1]);
    expect(await listIds(h.tokens.alice, '?workspace=bob')).toEqual([b1]);
    expect(await listIds(h.tokens.bob, '?workspace=alice')).toEqual([]);
    expect(await listIds(h.tokens.alice, '?username=bob')).toEqual([s2, b1]);
    expect(await listIds(h.tokens.bob, '?username=alice')).toEqual([s1]);
    expect(await listIds(h.tokens.alice, '?workspace=shared&username=robot')).toEqual([r1]);

    expect(await listIds(h.tokens.alice, '?limit=2')).toEqual([r1, s2]);
    expect(await listIds(h.tokens.alice, '?limit=2&offset=2')).toEqual([b1, s1]);
    expect(await listIds(h.tokens.alice, '?limit=2&offset=4')).toEqual([a1]);
    expect(await listIds(h.tokens.alice, '?offset=5')).toEqual([]);

    const res = await h.as(h.tokens.bob, {
      method: 'GET',
      url: '/api/v2/batches?workspace=shared',
    });
    const names = res.json<{ batches: BatchInfo[] }>().batches.map((b) => b.name);
    expect(names).toEqual(['r1', 's2', 's1']);
  });

  it('deletes a batch through a job: 202, job COMPLETE, batch and stored objects gone', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const keep = await createBatch(h, h.tokens.alice, { name: 'keep' });
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      expect((await putBatchFile(h, h.tokens.alice, id, name, `${name} body`)).statusCode).toBe(
        204,
      );
    }
    expect((await putBatchFile(h, h.tokens.alice, keep, 'k.txt', 'kept')).statusCode).toBe(204);
    const keys = [];
    for (const name of ['a.txt', 'b.txt', 'c.txt'])
      keys.push((await storedBatchFile(h, id, name))!.key);
    expect(batchObjects(h, id)).toHaveLength(3);

    const del = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${id}` });
    expect(del.statusCode).toBe(202);
    const { job_id } = del.json<{ job_id: string }>();
    expect(job_id).toEqual(expect.any(String) as string);
    // Hidden at once, before the job has necessarily run.
    expectError(await getBatch(h.tokens.alice, id), 404, 'record-not-found');
    expect(await listIds(h.tokens.alice)).toEqual([keep]);

    const job = await waitForJob(h, h.tokens.alice, job_id);
    expect(job.state).toBe('COMPLETE');
    expectError(await getBatch(h.tokens.alice, id), 404, 'record-not-found');
    expect(batchObjects(h, id)).toEqual([]);
    for (const key of keys) expect(await h.runbox.blobs.stat(key)).toBeUndefined();
    expect(await h.runbox.store.batches.getFile(id, 'a.txt')).toBeUndefined();
    // The other batch is untouched.
    expect((await storedBatchFile(h, keep, 'k.txt'))?.bytes.toString()).toBe('kept');
    expect((await listBatchFiles(h, h.tokens.alice, keep)).map((f) => f.name)).toEqual(['k.txt']);

    const again = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${id}` });
    expectError(again, 404, 'record-not-found');
  });

  it('polls the deletion job at the /v2/batches/jobs alias too', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const del = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${id}` });
    const { job_id } = del.json<{ job_id: string }>();
    const done = await waitForJob(h, h.tokens.alice, job_id);
    const alias = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/batches/jobs/${job_id}`,
    });
    expect(alias.statusCode).toBe(200);
    expect(alias.json()).toEqual(done);
    expect(done).toEqual({ state: 'COMPLETE', message: expect.any(String) as string });
  });

  it('refuses to delete a batch the caller cannot see, leaving it intact', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    expect((await putBatchFile(h, h.tokens.alice, id, 'a.txt', 'a')).statusCode).toBe(204);
    for (const token of [h.tokens.bob, h.tokens.eve]) {
      const res = await h.as(token, { method: 'DELETE', url: `/api/v2/batches/${id}` });
      expectError(res, 404, 'record-not-found');
    }
    expect((await getBatch(h.tokens.alice, id)).statusCode).toBe(200);
    expect((await storedBatchFile(h, id, 'a.txt'))?.bytes.toString()).toBe('a');
  });
});

import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, expectRunboxError, freshStore, newJob } from './store-fixture.js';

const LEASE = 30_000;

describeEachBackend('store jobs: queue and leases', (backend) => {
  let store: Store;
  beforeEach(async () => {
    ({ store } = await freshStore(backend));
  });

  /** Claims as `owner` at `now`; returns the claimed ids, sorted. */
  async function claim(owner: string, now: number, limit = 10): Promise<string[]> {
    const rows = await store.jobs.claim({ owner, limit, now, leaseUntil: now + LEASE });
    return rows.map((r) => r.id).sort();
  }

  it('stores a job as given; a duplicate id is a conflict', async () => {
    await store.jobs.enqueue(newJob('j1', { org_id: null, max_attempts: 3 }));

    expect(await store.jobs.get('j1')).toEqual(newJob('j1', { org_id: null, max_attempts: 3 }));
    expect(await store.jobs.get('nope')).toBeUndefined();
    await expectRunboxError(store.jobs.enqueue(newJob('j1', { kind: 'other' })), 'conflict');
    expect((await store.jobs.get('j1'))?.kind).toBe('delete-batch');
  });

  it('leases a claimed job to its owner and counts the attempt', async () => {
    await store.jobs.enqueue(newJob('j1'));

    const rows = await store.jobs.claim({ owner: 'w1', limit: 5, now: T + 1, leaseUntil: T + 99 });

    const expected = newJob('j1', {
      state: 'RUNNING',
      lease_owner: 'w1',
      lease_expires_at: T + 99,
      attempts: 1,
      updated_at: T + 1,
    });
    expect(rows).toEqual([expected]);
    expect(await store.jobs.get('j1')).toEqual(expected);
  });

  it('claims at most `limit` jobs at a time', async () => {
    for (const id of ['j1', 'j2', 'j3', 'j4', 'j5']) await store.jobs.enqueue(newJob(id));

    const batches = [await claim('w1', T, 2), await claim('w1', T, 2), await claim('w1', T, 2)];

    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(batches.flat().sort()).toEqual(['j1', 'j2', 'j3', 'j4', 'j5']);
    expect(await claim('w1', T, 2)).toEqual([]);
  });

  it('counts due and expired jobs together against `limit`', async () => {
    await store.jobs.enqueue(newJob('dead-1'));
    await store.jobs.enqueue(newJob('dead-2'));
    await claim('dead-worker', T);
    await store.jobs.enqueue(newJob('new-1'));
    await store.jobs.enqueue(newJob('new-2'));

    // Both leases have expired and both new jobs are due: four candidates, three wanted.
    const got = await claim('w2', T + LEASE + 1, 3);

    expect(got).toHaveLength(3);
    expect(await store.jobs.countByState()).toEqual({ RUNNING: 4 });
    expect(await claim('w3', T + LEASE + 1, 3)).toHaveLength(1);
  });

  it('does not claim a job before its run_at', async () => {
    await store.jobs.enqueue(newJob('now', { run_at: T }));
    await store.jobs.enqueue(newJob('later', { run_at: T + LEASE / 2 }));

    // Checked while the first job's lease still holds, so only `later` could be claimed.
    expect(await claim('w1', T)).toEqual(['now']);
    expect(await claim('w1', T + LEASE / 2 - 1)).toEqual([]);
    expect(await claim('w1', T + LEASE / 2)).toEqual(['later']);
  });

  it('does not hand a leased job to anyone else while the lease lasts', async () => {
    await store.jobs.enqueue(newJob('j1'));
    await claim('w1', T);

    expect(await claim('w2', T + 1)).toEqual([]);
    expect(await claim('w2', T + LEASE - 1)).toEqual([]);
    expect(await store.jobs.get('j1')).toMatchObject({ lease_owner: 'w1', attempts: 1 });
  });

  it('gives a job whose lease expired to the next claimer, counting another attempt', async () => {
    await store.jobs.enqueue(newJob('j1'));
    await claim('w1', T);

    expect(await claim('w2', T + LEASE + 1)).toEqual(['j1']);
    expect(await store.jobs.get('j1')).toMatchObject({
      state: 'RUNNING',
      lease_owner: 'w2',
      lease_expires_at: T + LEASE + 1 + LEASE,
      attempts: 2,
    });
  });

  it('lets only the current lease owner finish a job', async () => {
    await store.jobs.enqueue(newJob('j1'));
    await claim('w1', T);
    await claim('w2', T + LEASE + 1);

    // w1 was presumed dead and its lease taken over; its late result must not land.
    expect(
      await store.jobs.finish('j1', 'w1', { state: 'FAILED', message: 'late' }, T + LEASE + 2),
    ).toBe(false);
    expect(await store.jobs.get('j1')).toMatchObject({ state: 'RUNNING', lease_owner: 'w2' });

    expect(
      await store.jobs.finish('j1', 'w2', { state: 'COMPLETE', message: 'done' }, T + LEASE + 3),
    ).toBe(true);
    expect(await store.jobs.get('j1')).toMatchObject({
      state: 'COMPLETE',
      message: 'done',
      lease_owner: null,
      lease_expires_at: null,
      finished_at: T + LEASE + 3,
      attempts: 2,
    });

    // A finished job is finished: no second outcome, and nobody claims it again.
    expect(
      await store.jobs.finish('j1', 'w2', { state: 'FAILED', message: 'again' }, T + LEASE + 4),
    ).toBe(false);
    expect(await store.jobs.get('j1')).toMatchObject({ state: 'COMPLETE', message: 'done' });
    expect(await claim('w3', T + 10 * LEASE)).toEqual([]);
  });

  it('records a failure with its message and does not run the job again', async () => {
    await store.jobs.enqueue(newJob('j1'));
    await claim('w1', T);

    expect(
      await store.jobs.finish('j1', 'w1', { state: 'FAILED', message: 'disk full' }, T + 5),
    ).toBe(true);

    expect(await store.jobs.get('j1')).toMatchObject({
      state: 'FAILED',
      message: 'disk full',
      finished_at: T + 5,
      lease_owner: null,
    });
    expect(await claim('w1', T + 10 * LEASE)).toEqual([]);
  });

  it('puts a retried job back as PENDING and does not claim it before its new run_at', async () => {
    await store.jobs.enqueue(newJob('j1'));
    await claim('w1', T);

    const retry = {
      state: 'PENDING' as const,
      message: 'Attempt 1 failed; retrying.',
      runAt: T + 10_000,
    };
    expect(await store.jobs.finish('j1', 'w1', retry, T + 100)).toBe(true);
    expect(await store.jobs.get('j1')).toMatchObject({
      state: 'PENDING',
      message: 'Attempt 1 failed; retrying.',
      run_at: T + 10_000,
      finished_at: null,
      lease_owner: null,
      lease_expires_at: null,
    });

    expect(await claim('w2', T + 9_999)).toEqual([]);
    expect(await claim('w2', T + 10_000)).toEqual(['j1']);
    expect((await store.jobs.get('j1'))?.attempts).toBe(2);
  });

  it("heartbeat extends the owner's own running leases and nobody else's", async () => {
    await store.jobs.enqueue(newJob('mine', { run_at: T }));
    await store.jobs.enqueue(newJob('theirs', { run_at: T + 1 }));
    await store.jobs.enqueue(newJob('done', { run_at: T }));
    expect(await claim('w1', T)).toEqual(['done', 'mine']);
    expect(await claim('w2', T + 1)).toEqual(['theirs']);
    await store.jobs.finish('done', 'w1', { state: 'COMPLETE', message: 'ok' }, T + 2);

    await store.jobs.heartbeat(['mine', 'theirs', 'done'], 'w1', T + 5 * LEASE, T + 20_000);

    expect(await store.jobs.get('mine')).toMatchObject({ lease_expires_at: T + 5 * LEASE });
    expect(await store.jobs.get('theirs')).toMatchObject({
      lease_owner: 'w2',
      lease_expires_at: T + 1 + LEASE,
    });
    expect(await store.jobs.get('done')).toMatchObject({
      state: 'COMPLETE',
      lease_expires_at: null,
    });

    // Past the original lease: w2's job is up for grabs, w1's extended one is not.
    expect(await claim('w3', T + 2 * LEASE)).toEqual(['theirs']);
    await expect(store.jobs.heartbeat([], 'w1', T + 9 * LEASE, T)).resolves.toBeUndefined();
  });

  it('counts jobs by state', async () => {
    expect(await store.jobs.countByState()).toEqual({});
    for (const id of ['a', 'b', 'c', 'd']) await store.jobs.enqueue(newJob(id, { run_at: T }));
    await store.jobs.enqueue(newJob('e', { run_at: T + LEASE }));
    const claimed = await claim('w1', T, 3);
    const [first, second] = claimed as [string, string, string];
    await store.jobs.finish(first, 'w1', { state: 'COMPLETE', message: '' }, T + 1);
    await store.jobs.finish(second, 'w1', { state: 'FAILED', message: 'x' }, T + 1);

    expect(await store.jobs.countByState()).toEqual({
      PENDING: 2,
      RUNNING: 1,
      COMPLETE: 1,
      FAILED: 1,
    });
  });

  it('purges only jobs that finished before the cut-off', async () => {
    for (const id of ['old', 'recent', 'running', 'pending']) {
      await store.jobs.enqueue(newJob(id, { run_at: id === 'pending' ? T + 1_000_000 : T }));
    }
    await claim('w1', T);
    await store.jobs.finish('old', 'w1', { state: 'COMPLETE', message: '' }, T + 100);
    await store.jobs.finish('recent', 'w1', { state: 'FAILED', message: '' }, T + 200);

    expect(await store.jobs.purgeFinished(T + 200)).toBe(1);
    expect(await store.jobs.get('old')).toBeUndefined();
    expect((await store.jobs.get('recent'))?.state).toBe('FAILED');
    expect((await store.jobs.get('running'))?.state).toBe('RUNNING');
    expect((await store.jobs.get('pending'))?.state).toBe('PENDING');
    expect(await store.jobs.purgeFinished(T + 200)).toBe(0);
    expect(await store.jobs.purgeFinished(T + 10 * LEASE)).toBe(1);
  });
});

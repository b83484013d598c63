/**
 * Several runners (two store instances on one database, as two processes would have) claiming
 * from the same queue at once. Every claim uses the same explicit `now`, so the only thing that
 * varies between runs is the interleaving.
 */
import { expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, freshStore, newJob, openOn } from './store-fixture.js';

const LEASE = 30_000;

/** Claims in a loop until the queue has nothing due for `owner`; returns every id it got. */
async function drain(store: Store, owner: string, now: number, limit: number): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const rows = await store.jobs.claim({ owner, limit, now, leaseUntil: now + LEASE });
    if (rows.length === 0) return got;
    got.push(...rows.map((r) => r.id));
  }
}

/** Runs two draining loops on each store at once; returns owner → ids claimed. */
async function drainInParallel(stores: Store[], now: number): Promise<Map<string, string[]>> {
  const owners = stores.flatMap((s, i) => [
    { store: s, owner: `runner-${i}-a` },
    { store: s, owner: `runner-${i}-b` },
  ]);
  const results = await Promise.all(owners.map((o) => drain(o.store, o.owner, now, 7)));
  return new Map(owners.map((o, i) => [o.owner, results[i] ?? []]));
}

function enqueueMany(store: Store, n: number, prefix: string): Promise<string[]> {
  return store.transaction(async (tx) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
    for (const id of ids) await tx.jobs.enqueue(newJob(id));
    return ids;
  });
}

describeEachBackend('store jobs: concurrent runners', (backend) => {
  it('never hands one job to two runners', async () => {
    const { store, target } = await freshStore(backend);
    const ids = await enqueueMany(store, 150, 'job');

    const byOwner = await drainInParallel([store, openOn(target)], T);

    const claimed = [...byOwner.values()].flat();
    expect(claimed).toHaveLength(ids.length);
    expect(new Set(claimed).size).toBe(ids.length);
    for (const [owner, got] of byOwner) {
      for (const id of got) {
        expect(await store.jobs.get(id)).toMatchObject({ lease_owner: owner, attempts: 1 });
      }
    }
  });

  it('reclaims the jobs of a dead runner exactly once each', async () => {
    const { store, target } = await freshStore(backend);
    const ids = await enqueueMany(store, 60, 'job');
    expect(await drain(store, 'dead-runner', T, 100)).toHaveLength(ids.length);

    const byOwner = await drainInParallel([store, openOn(target)], T + LEASE + 1);

    const claimed = [...byOwner.values()].flat();
    expect(claimed.sort()).toEqual(ids);
    for (const id of ids) expect((await store.jobs.get(id))?.attempts).toBe(2);
  });

  it('a late finish by the old owner and a reclaim never both succeed', async () => {
    const { store, target } = await freshStore(backend);
    const other = openOn(target);
    const ids = await enqueueMany(store, 60, 'job');
    await drain(store, 'slow-runner', T, 100);
    const later = T + LEASE + 1;

    // The slow runner reports back just as another runner takes its expired leases.
    const [finished, reclaimed] = await Promise.all([
      Promise.all(
        ids.map((id) =>
          store.jobs.finish(id, 'slow-runner', { state: 'COMPLETE', message: 'late' }, later),
        ),
      ),
      drain(other, 'new-runner', later, 5),
    ]);

    const taken = new Set(reclaimed);
    expect(taken.size).toBe(reclaimed.length);
    for (const [i, id] of ids.entries()) {
      const row = await store.jobs.get(id);
      if (finished[i]) {
        expect(taken.has(id), `${id} finished and reclaimed`).toBe(false);
        expect(row).toMatchObject({ state: 'COMPLETE', message: 'late', lease_owner: null });
      } else {
        expect(taken.has(id), `${id} neither finished nor reclaimed`).toBe(true);
        expect(row).toMatchObject({ state: 'RUNNING', lease_owner: 'new-runner', attempts: 2 });
      }
    }
  });
});

import { expect, it } from 'vitest';
import type { FileResult } from '../../src/store/repos/run-repo.js';
import type { Run, RunFile } from '../../src/store/schema.js';
import { describeEachBackend } from '../helpers/backends.js';
import { T, freshStore, seedAcme } from './store-fixture.js';

function run(id: string): Run {
  return {
    id,
    org_id: 'acme',
    app_id: 'app',
    app_version: '1.0.0',
    deployment_id: null,
    created_by: 'alice',
    batch_id: null,
    input_dir: null,
    input_prefix: `runs/${id}/input`,
    output_workspace: null,
    output_dir: null,
    settings: '{}',
    tags: null,
    state: 'queued',
    msg: null,
    timeout_ms: 60_000,
    file_count: 2,
    files_failed: 0,
    lost_leases: 0,
    created_at: T,
    started_at: null,
    finished_at: null,
    review_completed: 0,
    deletion_job_id: null,
    retention_applied_at: null,
    status_message: null,
    status_message_terminal: 0,
    resurrect_count: 0,
    webhooks: null,
  };
}

const file = (runId: string, i: number): RunFile => ({
  run_id: runId,
  file_index: i,
  name: `f${i}.txt`,
  blob_key: `k${i}`,
  size: 1,
  state: 'pending',
  error: null,
  documents: null,
  finished_at: null,
  needs_review: 0,
  reviewed_by: null,
  reviewed_at: null,
});

const done = (i: number, documents = '[]'): FileResult => ({
  fileIndex: i,
  state: 'done',
  error: null,
  documents,
  needsReview: i === 1,
});

describeEachBackend('store: file outcomes', (backend) => {
  it('writes outcomes only under the lease holder’s token, and each file only once', async () => {
    const { store } = await freshStore(backend);
    await seedAcme(store);
    await store.runs.insert([run('r1'), run('r2')], [file('r1', 0), file('r1', 1), file('r2', 0)]);
    let n = 0;
    const claimed = await store.transaction((tx) =>
      tx.runQueue.claim({
        worker: 'w',
        limit: 10,
        now: T,
        leaseUntil: T + 60_000,
        newToken: () => `token-${n++}`,
      }),
    );
    const token = (id: string) => claimed.find((c) => c.run.id === id)!.token;

    const first = await store.runs.recordFiles(
      [
        { runId: 'r1', token: token('r1'), result: done(0, '[{"fields":{}}]') },
        { runId: 'r1', token: token('r1'), result: done(1) },
        // A worker that lost r2's lease: its token no longer holds the run.
        { runId: 'r2', token: 'stale', result: done(0) },
      ],
      T + 1,
    );
    expect([...first].sort()).toEqual(['r1/0', 'r1/1']);

    // Written once: a second outcome for the same file changes nothing.
    const again = await store.runs.recordFiles(
      [{ runId: 'r1', token: token('r1'), result: { ...done(0), state: 'failed', error: 'x' } }],
      T + 2,
    );
    expect(again.size).toBe(0);

    const f0 = await store.runs.file('r1', 0);
    expect(f0).toMatchObject({
      state: 'done',
      error: null,
      documents: '[{"fields":{}}]',
      needs_review: 0,
      finished_at: T + 1,
    });
    expect(await store.runs.file('r1', 1)).toMatchObject({ state: 'done', needs_review: 1 });
    expect(await store.runs.file('r2', 0)).toMatchObject({ state: 'pending', finished_at: null });
  });
});

/**
 * A worker whose app process cannot be started must still end the run. Here the worker's
 * unpacked copy of the app is removed under it, as a second worker unpacking the same version
 * into the shared cache does (seen in the two-worker suites: "app process error: spawn
 * /usr/bin/node ENOENT"), or a disk cleanup: the next app process it forks has no working
 * directory and never starts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineProcesses, probePackage, TERMINAL, until } from './cluster.js';

describe('an app process that cannot start [sqlite]', () => {
  const { cluster } = engineProcesses();

  it('fails its file instead of leaving the run RUNNING forever', async () => {
    // The hard kill after a timeout comes half a second after the abort.
    const c = await cluster('sqlite', { RUNBOX_CANCEL_GRACE_MS: '500' });
    const worker = await c.startWorker();
    const user = c.admin;
    await user.publish(await probePackage(2));
    const first = await user.startRun(await user.batch(['a.txt']), { exec_log: c.execLog });
    expect(await user.finished(first.id)).toMatchObject({ status: 'COMPLETE' });

    // One warm app process is left; a two-file run needs a second one.
    rmSync(join(c.target.dataDir, 'cache'), { recursive: true, force: true });
    const run = await user.json<{ id: string }>('/api/v2/apps/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        app_name: 'probe',
        batch_id: await user.batch(['a.txt', 'b.txt']),
        settings: {
          keys: { custom: { exec_log: c.execLog, delay_ms: 200 } },
          runtime_config: { timeout_seconds: 3 },
        },
      }),
    });
    // Past the run's own timeout (3 s) and the kill after it, it must have ended.
    const ended = await until(
      'the run to end',
      async () => {
        const now = await user.run(run.id);
        return TERMINAL.includes(now.status) ? now : undefined;
      },
      12_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; its log:\n${await user.log(run.id)}`);
    });
    // a.txt ran in the warm process; whatever happened to b.txt, the run ends with results.
    expect(['COMPLETE', 'FAILED']).toContain(ended.status);
    const files = await user.results(run.id);
    expect(files.map((f) => f.original_file_name)).toEqual(['a.txt', 'b.txt']);
    // The file that needed a new app process failed, saying why; it did not just vanish.
    const log = await user.log(run.id);
    expect(log).toMatch(/\[file\] [ab]\.txt: failed \(The app's process could not be started/);
    expect(worker.exit, worker.describe()).toBeUndefined();
  });
});

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachBackend, freshTarget } from '../helpers/backends.js';
import {
  cliProcesses,
  createBatch,
  filesUnder,
  finishedJob,
  listFiles,
  printedToken,
  putFile,
  storeEnv,
} from './process-helpers.js';

const BANNER = /Runbox is running at (http:\/\/\S+)/;

describeEachBackend('runbox serve', (backend) => {
  const cli = cliProcesses();

  it('prints the URL and an admin token on the first start only; the token works over HTTP', async () => {
    const target = freshTarget(backend);
    const env = storeEnv(target);

    const first = await cli.serve(env);
    const [, url] = await first.child.waitForStdout(BANNER);
    const token = await printedToken(first);
    expect(url).toBe(`http://127.0.0.1:${first.port}/`);
    expect(token).toMatch(/^\S{40,}$/);

    const tokenFile = join(target.dataDir, 'admin-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);

    expect((await first.api('/api/v2/batches')).status).toBe(401);
    expect((await first.api('/api/v2/batches', { token: 'rbx_not-a-real-token' })).status).toBe(
      401,
    );
    const batchId = await createBatch(first, token, 'first');
    expect(await putFile(first, token, batchId, 'hello.txt', Buffer.from('hello, runbox'))).toBe(
      204,
    );
    expect(await listFiles(first, token, batchId)).toMatchObject([
      { name: 'hello.txt', metadata: { size: 13 } },
    ]);

    // A clean shutdown on SIGTERM exits 0.
    expect(await first.child.stop()).toEqual({ code: 0, signal: null });

    const second = await cli.serve(env);
    // The same store: the token from the first start still works and the batch is still there.
    expect(await listFiles(second, token, batchId)).toMatchObject([
      { name: 'hello.txt', metadata: { size: 13 } },
    ]);
    expect(await second.child.stop()).toEqual({ code: 0, signal: null });
    // Output is complete once the process has exited: no banner, no token.
    const printed = second.child.stdout + second.child.stderr;
    expect(printed).not.toMatch(BANNER);
    expect(printed).not.toMatch(/Admin token/);
    expect(printed).not.toContain(token);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
  });

  it('--no-workers serves the API but leaves jobs pending; `runbox worker` completes them', async () => {
    const target = freshTarget(backend);
    const env = storeEnv(target);
    const server = await cli.serve(env, ['--no-workers']);
    const token = await printedToken(server);

    const batchId = await createBatch(server, token, 'doomed');
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      expect(await putFile(server, token, batchId, name, Buffer.from(name))).toBe(204);
    }
    const objects = join(target.dataDir, 'blobs', 'objects', 'batches', String(batchId));
    expect(filesUnder(objects)).toHaveLength(3);

    const del = await server.api(`/api/v2/batches/${batchId}`, { token, method: 'DELETE' });
    expect(del.status).toBe(202);
    const { job_id: jobId } = (await del.json()) as { job_id: string };

    // The batch is hidden at once; its files wait for a worker, and this process has none.
    expect((await server.api(`/api/v2/batches/${batchId}`, { token })).status).toBe(404);
    const pending = await server.api(`/api/v2/jobs/${jobId}`, { token });
    expect(await pending.json()).toMatchObject({ state: 'PENDING' });
    expect(filesUnder(objects)).toHaveLength(3);

    const worker = cli.background(['worker'], env);
    const job = await finishedJob(server, token, jobId);
    expect(job.state, worker.describe()).toBe('COMPLETE');
    expect(job.message).toContain('3 stored files removed');
    expect(existsSync(objects)).toBe(false);

    // The worker shuts down cleanly on SIGTERM too.
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });
});

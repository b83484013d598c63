/**
 * The SDK against a real Runbox on each backend: deployments, secrets, retention and files;
 * typed errors; the retries of 429s and of dropped connections (a fetch wrapper makes the
 * fault; the server is the real one).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Runbox, RunboxError } from '../../client/src/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { storedBatchFile } from '../http/http-helpers.js';
import {
  apiRoot,
  bytes,
  chunked,
  client,
  closedPort,
  connectionReset,
  recordingFetch,
} from './sdk-helpers.js';
import { PART, BIG, text, enc, runboxError, publishProbe, batchOf } from './sdk-fixtures.js';

describeEachBackend('SDK: resources, errors and retries', (backend) => {
  let h: Harness;
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'runbox-sdk-'));
  });
  afterEach(async () => {
    // Every call has finished by now. Node's graceful close waits for sockets the client
    // opened but never used (undici opens one after an aborted stream), until the client
    // drops them: end them at once.
    h?.runbox.app.server.closeAllConnections();
    await h?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('deployments: create (with its webhook secret), list, get, update, run, delete', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const d = await runbox.apps.deployments.create({
      name: 'nightly',
      app_name: 'probe',
      keys: { custom: { gate: '/nonexistent' } },
      concurrency_limit: 2,
    });
    expect(d).toMatchObject({ name: 'nightly', app_id, concurrency_limit: 2, created_by: 'alice' });
    expect(d.webhook_secret).toEqual(expect.any(String));
    // The secret is shown only now: the same deployment without it.
    expect(await runbox.apps.deployments.get(d.id)).toEqual(
      Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'webhook_secret')),
    );
    expect((await runbox.apps.deployments.list({ app_id })).deployments.map((x) => x.id)).toEqual([
      d.id,
    ]);
    expect((await runbox.apps.deployments.list({ app_id: 'nope' })).deployments).toEqual([]);

    const changed = await runbox.apps.deployments.update(d.id, {
      name: 'nightly-2',
      review_policy: 'never',
      rotate_webhook_secret: true,
    });
    expect(changed).toMatchObject({
      name: 'nightly-2',
      review_policy: 'never',
      concurrency_limit: 2,
    });
    expect(changed.webhook_secret).toEqual(expect.any(String));
    expect(changed.webhook_secret).not.toBe(d.webhook_secret);
    expect(
      (await runbox.apps.deployments.update(d.id, { concurrency_limit: null })).webhook_secret,
    ).toBeUndefined();

    const batch_id = await batchOf(runbox, { 'a.txt': 'one two' });
    const run = await runbox.apps.deployments.run(d.id, { batch_id }, { idempotencyKey: 'd-1' });
    expect(run).toMatchObject({ deployment_id: d.id, app_id, batch_id });
    expect(
      (await runbox.apps.deployments.run(d.id, { batch_id }, { idempotencyKey: 'd-1' })).id,
    ).toBe(run.id);
    expect((await runbox.apps.runs.wait(run.id)).status).toBe('COMPLETE');
    expect((await runbox.apps.runs.list({ deployment_id: d.id })).runs.map((r) => r.id)).toEqual([
      run.id,
    ]);

    await runbox.apps.deployments.delete(d.id);
    await runboxError(runbox.apps.deployments.get(d.id), 404, 'record-not-found');
    // Its runs stay.
    expect((await runbox.apps.runs.status(run.id)).deployment_id).toBe(d.id);
  });

  it('secrets: create, list, update, delete; values never come back; members may not write', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    await runbox.secrets.create({
      alias: 'ocr_key',
      value: 'sk-very-secret',
      description: 'OCR service',
      allowed_workspaces_type: 'ALL',
    });
    const [listed] = (await runbox.secrets.list()).secrets;
    expect(listed).toMatchObject({
      alias: 'ocr_key',
      description: 'OCR service',
      allowed_workspaces_type: 'ALL',
      org: 'acme',
      created_by: 'alice',
    });
    expect(JSON.stringify(listed)).not.toContain('sk-very-secret');
    await runboxError(
      runbox.secrets.create({ alias: 'ocr_key', value: 'x', allowed_workspaces_type: 'ALL' }),
      409,
      'conflict',
    );

    await runbox.secrets.update({ alias: 'ocr_key', value: 'sk-rotated', description: 'rotated' });
    expect((await runbox.secrets.list({ alias: 'ocr_key' })).secrets).toEqual([
      expect.objectContaining({ alias: 'ocr_key', description: 'rotated' }),
    ]);
    const bob = await client(h, h.tokens.bob);
    await runboxError(
      bob.secrets.create({ alias: 'mine', value: 'x', allowed_workspaces_type: 'ALL' }),
      403,
      'permission-denied',
    );
    await runboxError(bob.secrets.delete('ocr_key'), 403, 'permission-denied');

    await runbox.secrets.delete('ocr_key');
    expect((await runbox.secrets.list()).secrets).toEqual([]);
    await runboxError(runbox.secrets.delete('ocr_key'), 404, 'record-not-found');
  });

  it('retention: put (create and replace), list, delete; admins only', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const org = await runbox.retention.put({ scope: 'org', days: 30 });
    expect(org).toMatchObject({
      scope: 'org',
      days: 30,
      delete_input: true,
      delete_logs: true,
      created_by: 'alice',
    });
    const app = await runbox.retention.put({
      scope: 'app',
      target_id: app_id,
      days: 7,
      delete_logs: false,
    });
    expect(app).toMatchObject({ scope: 'app', target_id: app_id, delete_logs: false });
    const replaced = await runbox.retention.put({ scope: 'org', days: 90 });
    expect(replaced.days).toBe(90);
    const { policies } = await runbox.retention.list();
    expect(policies.map((p) => [p.scope, p.days]).sort()).toEqual([
      ['app', 7],
      ['org', 90],
    ]);
    await runboxError((await client(h, h.tokens.bob)).retention.list(), 403, 'permission-denied');
    await runboxError(runbox.retention.put({ scope: 'org', days: 0 }), 400, 'invalid-input');

    await runbox.retention.delete(app.id);
    expect((await runbox.retention.list()).policies.map((p) => p.scope)).toEqual(['org']);
    await runboxError(runbox.retention.delete(app.id), 404, 'record-not-found');
  });

  it('files: write, read whole and by range, list, stat, delete', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const dir = 'acme/alice/fs/Runbox Drive/sdk in';
    await runbox.files.write(`${dir}/hello.txt`, 'hello world');
    await runbox.files.write(`${dir}/odd #1?.bin`, bytes(1000, 5));
    await runbox.files.write(`${dir}/sub/blob.txt`, new Blob(['from a blob']));
    await runbox.files.write(`${dir}/stream.txt`, {
      stream: chunked(enc('from a stream'), 4),
      size: 13,
    });

    expect(text(await runbox.files.read(`${dir}/hello.txt`))).toBe('hello world');
    expect(text(await runbox.files.read(`${dir}/hello.txt`, { range: 'bytes=6-10' }))).toBe(
      'world',
    );
    expect(await runbox.files.read(`${dir}/odd #1?.bin`)).toEqual(bytes(1000, 5));
    expect(text(await runbox.files.read(`${dir}/sub/blob.txt`))).toBe('from a blob');
    expect(text(await runbox.files.read(`${dir}/stream.txt`))).toBe('from a stream');
    await runboxError(
      runbox.files.read(`${dir}/hello.txt`, { range: 'bytes=50-60' }),
      416,
      'range-not-satisfiable',
    );

    const { nodes } = await runbox.files.list(dir);
    expect(nodes.map((n) => [n.name, n.metadata.node_type, n.metadata.size]).sort()).toEqual([
      ['hello.txt', 'file', 11],
      ['odd #1?.bin', 'file', 1000],
      ['stream.txt', 'file', 13],
      ['sub', 'folder', 0],
    ]);
    const stat = await runbox.files.stat(`${dir}/hello.txt`);
    expect(stat?.size).toBe(11);
    expect(Number.isNaN(Date.parse(stat!.modified!))).toBe(false);
    expect(await runbox.files.stat(`${dir}/missing.txt`)).toBeUndefined();

    // If-None-Match: refuses to overwrite, creates what is not there.
    await runboxError(
      runbox.files.write(`${dir}/hello.txt`, 'again', { ifNoneMatch: true }),
      412,
      'precondition-failed',
    );
    await runbox.files.write(`${dir}/new.txt`, 'new', { ifNoneMatch: true });
    expect(text(await runbox.files.read(`${dir}/hello.txt`))).toBe('hello world');

    const job = await runbox.files.delete(`${dir}/sub`);
    expect(await runbox.jobs.wait(job, { pollMs: 20 })).toMatchObject({ state: 'COMPLETE' });
    expect(await runbox.files.stat(`${dir}/sub/blob.txt`)).toBeUndefined();
    // Another org's client cannot see it.
    await runboxError(
      (await client(h, h.tokens.eve)).files.read(`${dir}/hello.txt`),
      404,
      'record-not-found',
    );
  });

  // ---- errors and retries ----

  it('errors: every failure is a RunboxError with status, type, message and request id', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const { id } = await runbox.batches.create({ name: 'mine' });

    const notFound = await runboxError(runbox.batches.get(999_999), 404, 'record-not-found');
    expect(notFound.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(notFound).toBeInstanceOf(Error);
    const invalid = await runboxError(runbox.batches.list({ limit: 0 }), 400, 'invalid-input');
    expect(invalid.message).toMatch(/limit/);
    expect(invalid.requestId).not.toBe(notFound.requestId);
    await runboxError(runbox.batches.create({ name: '' }), 400, 'invalid-input');
    await runboxError((await client(h, h.tokens.bob)).retention.list(), 403, 'permission-denied');
    await runboxError((await client(h, h.tokens.eve)).batches.get(id), 404, 'record-not-found');
    await runboxError((await client(h, 'not-a-token')).batches.list(), 401, 'token-not-valid');
    // A context the user has no part in.
    const context = await runboxError(
      (await client(h, h.tokens.alice, { context: 'globex' })).batches.list(),
      401,
      'token-not-valid',
    );
    expect(context.message).toMatch(/IB-Context "globex"/);

    // Nothing listening: status 0, network-error, after the bounded retries (GET is idempotent).
    const port = await closedPort();
    const { fetch, sent } = recordingFetch();
    const unreachable = await runboxError(
      new Runbox({
        apiRoot: `http://127.0.0.1:${port}/api`,
        token: h.tokens.alice,
        maxRetries: 2,
        fetch,
      }).batches.list(),
      0,
      'network-error',
    );
    expect(unreachable.message).toMatch(/ECONNREFUSED/);
    expect(unreachable.cause).toBeInstanceOf(TypeError);
    expect(unreachable.requestId).toBeUndefined();
    expect(sent).toHaveLength(3);
  });

  it('retries a 429, honouring Retry-After, and throws rate-limit-exceeded without retries', async () => {
    h = await startHarness(backend, { RUNBOX_RATE_LIMIT_RATE: '1', RUNBOX_RATE_LIMIT_BURST: '2' });
    const { fetch, sent } = recordingFetch();
    const runbox = await client(h, h.tokens.alice, { fetch });
    // Three at once against a burst of two: at least one is refused, waits and gets through.
    const lists = await Promise.all([1, 2, 3].map(() => runbox.batches.list()));
    expect(lists).toEqual([{ batches: [] }, { batches: [] }, { batches: [] }]);
    const refused = sent.filter((s) => s.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused)
      expect(Number(r.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sent.filter((s) => s.status === 200)).toHaveLength(3);

    // Uploads from files on disk are retried too (the file is read again): robot's own bucket
    // of two, one taken by the batch, so one of the two uploads is refused first.
    const uploads = recordingFetch();
    const robot = await client(h, h.tokens.robot, { fetch: uploads.fetch });
    const { id } = await robot.batches.create({ name: 'uploads', workspace: 'shared' });
    const paths = [1, 2].map((i) => {
      const path = join(tmp, `file ${i}.txt`);
      writeFileSync(path, `file number ${i}`);
      return path;
    });
    await Promise.all(paths.map((path, i) => robot.batches.addFile(id, `path ${i + 1}.txt`, path)));
    expect(uploads.sent.filter((s) => s.status === 429).length).toBeGreaterThanOrEqual(1);
    expect(uploads.sent.filter((s) => s.status === 204)).toHaveLength(2);
    for (const i of [1, 2]) {
      expect((await storedBatchFile(h, id, `path ${i}.txt`))?.bytes.toString()).toBe(
        `file number ${i}`,
      );
    }

    // Bob's own bucket, no retries: the calls past the burst fail with the server's error.
    const bob = await client(h, h.tokens.bob, { maxRetries: 0 });
    const settled = await Promise.allSettled([1, 2, 3, 4].map(() => bob.batches.list()));
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => s.reason as unknown);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const e of failures) {
      expect(e).toBeInstanceOf(RunboxError);
      expect(e).toMatchObject({ status: 429, type: 'rate-limit-exceeded' });
      expect((e as RunboxError).requestId).toEqual(expect.any(String));
    }
  });

  it('retries a dropped connection for idempotent calls only', async () => {
    h = await startHarness(backend);
    const runbox = await client(h);
    const app_id = await publishProbe(runbox);
    const batch_id = await batchOf(runbox, { 'a.txt': 'a' });

    /** Sends each request matching `drop` to the server once, then loses its response. */
    const dropping = (drop: (method: string, path: string) => boolean) => {
      const dropped = new Set<string>();
      return recordingFetch(async ({ method, path }, real) => {
        const key = `${method} ${path}`;
        if (!drop(method, path) || dropped.has(key)) return undefined;
        dropped.add(key);
        const res = await real();
        await res.body?.cancel();
        throw connectionReset();
      });
    };

    // A GET: retried, and answered.
    const get = dropping((m) => m === 'GET');
    const reader = await client(h, h.tokens.alice, { fetch: get.fetch });
    expect((await reader.batches.get(batch_id)).id).toBe(batch_id);
    expect(get.sent.map((s) => s.status)).toEqual(['threw', 200]);

    // A POST without an idempotency key: not retried (the server may have acted on it).
    const post = dropping((m) => m === 'POST');
    const writer = await client(h, h.tokens.alice, { fetch: post.fetch });
    const lost = await runboxError(writer.batches.create({ name: 'once' }), 0, 'network-error');
    expect(lost.message).toMatch(/ECONNRESET/);
    expect(post.sent).toHaveLength(1);
    // It did act: one batch, not two.
    const named = (await runbox.batches.list()).batches.filter((b) => b.name === 'once');
    expect(named).toHaveLength(1);

    // A POST with an idempotency key: retried, and the key makes it one run.
    const keyed = dropping((m, p) => m === 'POST' && p === '/api/v2/apps/runs');
    const starter = await client(h, h.tokens.alice, { fetch: keyed.fetch });
    const run = await starter.apps.runs.create({ app_id, batch_id }, { idempotencyKey: 'k-1' });
    expect(keyed.sent.map((s) => s.status)).toEqual(['threw', 200]);
    expect((await runbox.apps.runs.list({ app_id })).runs.map((r) => r.id)).toEqual([run.id]);
    expect((await runbox.apps.runs.wait(run.id)).status).toBe('COMPLETE');

    // A PUT of bytes is sent again; a PUT of a stream cannot be, and is not.
    const put = dropping((m) => m === 'PUT');
    const uploader = await client(h, h.tokens.alice, { fetch: put.fetch });
    await uploader.batches.addFile(batch_id, 'b.txt', enc('bytes, sent twice'));
    expect(put.sent.map((s) => s.status)).toEqual(['threw', 204]);
    expect((await storedBatchFile(h, batch_id, 'b.txt'))?.bytes.toString()).toBe(
      'bytes, sent twice',
    );
    // A file on disk is read again for the second attempt.
    const path = join(tmp, 'c.txt');
    writeFileSync(path, 'a file on disk, read twice');
    await uploader.batches.addFile(batch_id, 'c.txt', path);
    expect(put.sent.filter((s) => s.path.endsWith('/c.txt')).map((s) => s.status)).toEqual([
      'threw',
      204,
    ]);
    expect((await storedBatchFile(h, batch_id, 'c.txt'))?.bytes.toString()).toBe(
      'a file on disk, read twice',
    );
    // A caller's stream can be read only once: the call fails rather than sending half a file.
    await runboxError(
      uploader.batches.addFile(batch_id, 'd.txt', { stream: chunked(enc('once only')), size: 9 }),
      0,
      'network-error',
    );
    expect(put.sent.filter((s) => s.path.endsWith('/d.txt'))).toHaveLength(1);

    // The API root may end in a slash.
    const slashed = await client(h, h.tokens.alice, { apiRoot: `${await apiRoot(h)}/` });
    expect((await slashed.batches.get(batch_id)).id).toBe(batch_id);
  });

  it('multipart: a part whose response is lost is sent again and the file commits whole', async () => {
    h = await startHarness(backend, { RUNBOX_PART_BYTES: String(PART) });
    let dropped = false;
    const { fetch, sent } = recordingFetch(async ({ method, path }, real) => {
      if (dropped || method !== 'PUT' || !path.endsWith('/parts/2')) return undefined;
      dropped = true;
      const res = await real();
      await res.body?.cancel();
      throw connectionReset();
    });
    const runbox = await client(h, h.tokens.alice, { fetch });
    const { id } = await runbox.batches.create({ name: 'scans' });
    const data = bytes(BIG, 11);
    await runbox.batches.addFile(id, 'big.bin', data);
    expect(sent.filter((s) => s.path.endsWith('/parts/2')).map((s) => s.status)).toEqual([
      'threw',
      201,
    ]);
    expect((await storedBatchFile(h, id, 'big.bin'))?.bytes.equals(data)).toBe(true);
  });
});

/**
 * Authentication and org isolation (SPEC §1 context, §6 401s, §9): who may call, in which
 * context, and that no request reaches another org's records.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { InjectOptions } from 'fastify';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { systemSources } from '../../src/main.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';

/** Matches any string (an asymmetric matcher, typed so it is not `any`). */
const anyString: unknown = expect.any(String);

/** A clock that moves only when the test says so. */
function manualClock() {
  let now = Date.now();
  return {
    sources: { clock: { now: () => now }, ids: systemSources.ids },
    advance: (ms: number) => void (now += ms),
  };
}

/** Every row of every table, read straight from the database. */
async function dumpDatabase(h: Harness): Promise<Record<string, unknown>[]> {
  if (h.backend === 'sqlite') {
    const db = new Database(join(h.config.dataDir, 'runbox.db'), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[];
      return tables.flatMap((t) => db.prepare(`SELECT * FROM "${t.name}"`).all() as never[]);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: h.config.databaseUrl });
  await client.connect();
  try {
    const schema = h.config.databaseSchema!;
    const tables = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    const rows: Record<string, unknown>[] = [];
    for (const t of tables.rows) {
      const res = await client.query<Record<string, unknown>>(
        `SELECT * FROM "${schema}"."${t.table_name}"`,
      );
      rows.push(...res.rows);
    }
    return rows;
  } finally {
    await client.end();
  }
}

describeEachBackend('authentication', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const listBatches = (token: string, headers: Record<string, string> = {}) =>
    h.as(token, { method: 'GET', url: '/api/v2/batches', headers });

  it('refuses a request without a token: 401 token-not-provided', async () => {
    h = await startHarness(backend);
    for (const headers of [{}, { authorization: '' }, { authorization: 'Bearer ' }]) {
      const res = await h.runbox.app.inject({ method: 'GET', url: '/api/v2/batches', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ message: anyString, type: 'token-not-provided' });
    }
  });

  it('refuses a malformed header or an unknown token: 401 token-not-valid', async () => {
    h = await startHarness(backend);
    for (const authorization of [
      'Basic YWxpY2U6c2VjcmV0',
      `Token ${h.tokens.alice}`,
      h.tokens.alice,
      `Bearer ${h.tokens.alice} ${h.tokens.bob}`,
      'Bearer rbx_thisTokenWasNeverIssued000000000000000000',
      `Bearer ${h.tokens.alice}x`,
    ]) {
      const res = await h.runbox.app.inject({
        method: 'GET',
        url: '/api/v2/batches',
        headers: { authorization },
      });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json()).toEqual({ message: anyString, type: 'token-not-valid' });
    }
  });

  it('refuses a revoked token and keeps the user’s other tokens working', async () => {
    h = await startHarness(backend);
    const extra = await h.runbox.admin.createToken('bob', { name: 'laptop' });
    expect((await listBatches(extra.token)).statusCode).toBe(200);
    await h.runbox.admin.revokeToken(extra.id);
    const res = await listBatches(extra.token);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ type: 'token-not-valid' });
    expect((await listBatches(h.tokens.bob)).statusCode).toBe(200);
  });

  it('refuses a token once it has expired', async () => {
    const time = manualClock();
    h = await startHarness(backend, {}, time.sources);
    const expiring = await h.runbox.admin.createToken('bob', {
      expiresAt: time.sources.clock.now() + 60_000,
    });
    expect((await listBatches(expiring.token)).statusCode).toBe(200);
    time.advance(59_999);
    expect((await listBatches(expiring.token)).statusCode).toBe(200);
    time.advance(1);
    const res = await listBatches(expiring.token);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ type: 'token-not-valid' });
    expect((await listBatches(h.tokens.bob)).statusCode).toBe(200);
  });

  it('acts in the IB-Context: an org of the user or the user’s own id, never another org', async () => {
    h = await startHarness(backend);
    await h.runbox.admin.addMember('globex', 'alice', 'member');
    await h.runbox.admin.createWorkspace('globex', 'lab');
    const globexBatch = await h.as(h.tokens.eve, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'globex lab', workspace: 'lab' },
    });
    const gid = globexBatch.json<{ id: number }>().id;
    const acmeBatch = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'acme own' },
    });
    const aid = acmeBatch.json<{ id: number }>().id;
    const ids = async (token: string, context?: string) => {
      const res = await listBatches(token, context ? { 'ib-context': context } : {});
      expect(res.statusCode).toBe(200);
      return res.json<{ batches: { id: number }[] }>().batches.map((b) => b.id);
    };
    expect(await ids(h.tokens.alice)).toEqual([aid]);
    expect(await ids(h.tokens.alice, 'alice')).toEqual([aid]);
    expect(await ids(h.tokens.alice, 'acme')).toEqual([aid]);
    expect(await ids(h.tokens.alice, 'globex')).toEqual([gid]);
    const inGlobex = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/batches/${gid}`,
      headers: { 'ib-context': 'globex' },
    });
    expect(inGlobex.json()).toMatchObject({ id: gid, workspace: 'lab' });

    for (const [token, context] of [
      [h.tokens.bob, 'globex'],
      [h.tokens.eve, 'acme'],
      [h.tokens.alice, 'initech'],
      [h.tokens.alice, 'bob'],
    ] as const) {
      const res = await listBatches(token, { 'ib-context': context });
      expect(res.statusCode, `${context}`).toBe(401);
      expect(res.json()).toEqual({ message: anyString, type: 'token-not-valid' });
    }
  });

  it('keeps orgs apart: another org’s batches, jobs and paths are 404 and stay unchanged', async () => {
    h = await startHarness(backend);
    const alice = (opts: InjectOptions) => h.as(h.tokens.alice, opts);
    const eve = (opts: InjectOptions) => h.as(h.tokens.eve, opts);
    const created = await alice({ method: 'POST', url: '/api/v2/batches', payload: { name: 'b' } });
    const id = created.json<{ id: number }>().id;
    for (const name of ['a.txt', 'tmp.txt']) {
      await alice({ method: 'PUT', url: `/api/v2/batches/${id}/files/${name}`, payload: 'secret' });
    }
    const delTmp = await alice({ method: 'DELETE', url: `/api/v2/batches/${id}/files/tmp.txt` });
    const jobId = String(delTmp.headers.location).split('/').pop()!;
    await waitForJob(h, h.tokens.alice, jobId);
    const paths = [
      '/api/v2/files/acme/alice/fs/Runbox%20Drive/notes/a.txt',
      '/api/v2/files/acme/shared/fs/Runbox%20Drive/notes/a.txt',
    ];
    for (const url of paths) await alice({ method: 'PUT', url, payload: 'private words' });

    const snapshot = async () => ({
      batch: (await alice({ method: 'GET', url: `/api/v2/batches/${id}` })).json<unknown>(),
      files: (await alice({ method: 'GET', url: `/api/v2/batches/${id}/files` })).json<unknown>(),
      contents: await Promise.all(
        paths.map(
          async (url) => (await alice({ method: 'GET', url: `${url}?expect-node-type=file` })).body,
        ),
      ),
    });
    const before = await snapshot();

    const attempts: (InjectOptions & { url: string })[] = [
      { method: 'GET', url: `/api/v2/batches/${id}` },
      { method: 'GET', url: `/api/v2/batches/${id}/files` },
      { method: 'PUT', url: `/api/v2/batches/${id}/files/a.txt`, payload: 'overwritten' },
      { method: 'DELETE', url: `/api/v2/batches/${id}/files/a.txt` },
      {
        method: 'POST',
        url: '/api/v2/batches/multipart-upload',
        payload: { batch_id: id, filename: 'a.txt', file_size: 3 },
      },
      { method: 'DELETE', url: `/api/v2/batches/${id}` },
      { method: 'GET', url: `/api/v2/jobs/${jobId}` },
      { method: 'GET', url: `/api/v2/batches/jobs/${jobId}` },
      ...paths.flatMap((url): (InjectOptions & { url: string })[] => [
        { method: 'GET', url: `${url}?expect-node-type=file` },
        { method: 'GET', url: `${url.replace(/\/a\.txt$/, '')}?expect-node-type=folder` },
        { method: 'HEAD', url },
        { method: 'PUT', url, payload: 'overwritten' },
        { method: 'DELETE', url },
      ]),
    ];
    for (const attempt of attempts) {
      const res = await eve(attempt);
      expect(res.statusCode, `${attempt.method} ${attempt.url}`).toBe(404);
      if (attempt.method !== 'HEAD') expect(res.json()).toMatchObject({ type: 'record-not-found' });
    }
    // The answer for another org's batch is the answer for a batch that never existed.
    const theirs = await eve({ method: 'GET', url: `/api/v2/batches/${id}` });
    const none = await eve({ method: 'GET', url: '/api/v2/batches/987654' });
    expect(theirs.body.replace(String(id), 'N')).toBe(none.body.replace('987654', 'N'));
    for (const q of ['', '?workspace=shared', '?username=alice']) {
      const list = await eve({ method: 'GET', url: `/api/v2/batches${q}` });
      expect(list.json()).toEqual({ batches: [] });
    }

    expect(await snapshot()).toEqual(before);
  });

  it('stores tokens hashed: no table holds a token’s value', async () => {
    h = await startHarness(backend);
    const issued = await h.runbox.admin.createToken('alice', { name: 'ci' });
    // At least 32 random bytes behind the prefix.
    expect(
      Buffer.from(issued.token.replace(/^rbx_/, ''), 'base64url').length,
    ).toBeGreaterThanOrEqual(32);
    const rows = await dumpDatabase(h);
    const tokenRows = rows.filter((r) => r.id === issued.id);
    expect(tokenRows).toHaveLength(1);
    const all = JSON.stringify(rows);
    for (const t of [issued.token, ...Object.values(h.tokens)]) {
      expect(all).not.toContain(t);
      expect(all).not.toContain(t.replace(/^rbx_/, ''));
    }
    expect((await listBatches(issued.token)).statusCode).toBe(200);
  });
});

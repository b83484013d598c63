/**
 * Every v2 operation Runbox implements answers with what the official AI Hub description says:
 * success bodies, statuses, media types and documented headers, and the `error` schema for the
 * errors a client can cause (404, 400, …). SPEC §4: "every v2 response must validate".
 */
import type { InjectOptions } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { expectReference, referenceOperationIds, schemaProblems } from './reference-validator.js';

const DRIVE = '/api/v2/files/acme/alice/fs/Runbox%20Drive';
const JOBS = { jobStatus: '/api/v2/jobs', pollBatchesJob: '/api/v2/batches/jobs' } as const;

describeEachBackend('AI Hub conformance', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());
  /** Operations whose responses were checked here; compared with what the server serves. */
  const checked = new Set<string>();

  async function call(operationId: string, opts: InjectOptions, token = h.tokens.alice) {
    const res = await h.as(token, opts);
    expectReference(operationId, res);
    checked.add(operationId);
    return res;
  }

  async function createBatch(name: string) {
    const res = await call('createBatch', {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ id: number }>().id;
  }

  async function pollJob(operationId: keyof typeof JOBS, jobId: string) {
    return waitFor(async () => {
      const res = await call(operationId, { method: 'GET', url: `${JOBS[operationId]}/${jobId}` });
      expect(res.statusCode).toBe(200);
      const { state } = res.json<{ state: string }>();
      return state === 'PENDING' || state === 'RUNNING' ? undefined : state;
    }, `job ${jobId}`);
  }

  it('batches: create, list, get, files, delete, and their errors', async () => {
    h = await startHarness(backend);
    const id = await createBatch('invoices');
    for (const [payload, status] of [
      [{ name: 'team', workspace: 'shared' }, 200],
      [{ name: 'x', colour: 'red' }, 400],
      [{}, 400],
      [{ name: 'x', workspace: 'no-such-workspace' }, 404],
    ] as const) {
      const res = await call('createBatch', { method: 'POST', url: '/api/v2/batches', payload });
      expect(res.statusCode).toBe(status);
    }

    for (const name of ['a.txt', 'b.txt']) {
      const put = await call('addFileToBatch', {
        method: 'PUT',
        url: `/api/v2/batches/${id}/files/${name}`,
        payload: Buffer.from(`content of ${name}`),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(put.statusCode).toBe(204);
      expect(put.body).toBe('');
    }
    for (const [url, status] of [
      ['/api/v2/batches/999999/files/a.txt', 404],
      [`/api/v2/batches/${id}/files/bad%01name`, 400],
    ] as const) {
      const res = await call('addFileToBatch', { method: 'PUT', url, payload: Buffer.from('x') });
      expect(res.statusCode).toBe(status);
    }

    for (const url of ['/api/v2/batches', '/api/v2/batches?workspace=shared&limit=1&offset=0']) {
      const res = await call('listBatches', { method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ batches: unknown[] }>().batches.length).toBeGreaterThan(0);
    }
    const badList = await call('listBatches', { method: 'GET', url: '/api/v2/batches?limit=0' });
    expect(badList.statusCode).toBe(400);

    const got = await call('getBatch', { method: 'GET', url: `/api/v2/batches/${id}` });
    expect(got.json()).toMatchObject({ id, name: 'invoices' });
    for (const [url, status] of [
      ['/api/v2/batches/999999', 404],
      ['/api/v2/batches/abc', 400],
    ] as const) {
      expect((await call('getBatch', { method: 'GET', url })).statusCode).toBe(status);
    }

    const page1 = await call('listFiles', {
      method: 'GET',
      url: `/api/v2/batches/${id}/files?page_size=1`,
    });
    const first = page1.json<{ has_more: boolean; next_page_token: string }>();
    expect(first.has_more).toBe(true);
    const page2 = await call('listFiles', {
      method: 'GET',
      url: `/api/v2/batches/${id}/files?page_size=1&start_token=${encodeURIComponent(first.next_page_token)}`,
    });
    expect(page2.json()).toMatchObject({ has_more: false, nodes: [{ name: 'b.txt' }] });
    for (const [url, status] of [
      ['/api/v2/batches/999999/files', 404],
      [`/api/v2/batches/${id}/files?page_size=0`, 400],
    ] as const) {
      expect((await call('listFiles', { method: 'GET', url })).statusCode).toBe(status);
    }

    const delFile = await call('deleteFileFromBatch', {
      method: 'DELETE',
      url: `/api/v2/batches/${id}/files/a.txt`,
    });
    expect(delFile.statusCode).toBe(202);
    const fileJob = String(delFile.headers.location).split('/').pop()!;
    expect(await pollJob('jobStatus', fileJob)).toBe('COMPLETE');
    const missingFile = await call('deleteFileFromBatch', {
      method: 'DELETE',
      url: `/api/v2/batches/${id}/files/a.txt`,
    });
    expect(missingFile.statusCode).toBe(404);

    const del = await call('deleteBatch', { method: 'DELETE', url: `/api/v2/batches/${id}` });
    expect(del.statusCode).toBe(202);
    expect(await pollJob('pollBatchesJob', del.json<{ job_id: string }>().job_id)).toBe('COMPLETE');
    const again = await call('deleteBatch', { method: 'DELETE', url: `/api/v2/batches/${id}` });
    expect(again.statusCode).toBe(404);
    for (const [op, base] of Object.entries(JOBS)) {
      expect((await call(op, { method: 'GET', url: `${base}/no-such-job` })).statusCode).toBe(404);
    }
  });

  it('multipart upload: session, parts, commit, and their errors', async () => {
    h = await startHarness(backend, { RUNBOX_PART_BYTES: '4' });
    const id = await createBatch('big files');
    const bytes = Buffer.from('0123456789');
    const created = await call('createMultipartUploadSession', {
      method: 'POST',
      url: '/api/v2/batches/multipart-upload',
      payload: { batch_id: id, filename: 'big.bin', file_size: bytes.length },
    });
    expect(created.statusCode).toBe(201);
    const { session_id, part_size } = created.json<{ session_id: string; part_size: number }>();
    expect(created.headers.location).toContain(session_id);
    for (const [payload, status] of [
      [{ batch_id: 999999, filename: 'x.bin', file_size: 1 }, 404],
      [{ batch_id: id, filename: 'x.bin' }, 400],
    ] as const) {
      const res = await call('createMultipartUploadSession', {
        method: 'POST',
        url: '/api/v2/batches/multipart-upload',
        payload,
      });
      expect(res.statusCode).toBe(status);
    }

    const sessionUrl = `/api/v2/batches/multipart-upload/sessions/${session_id}`;
    const parts: { part_num: number; part_id: string }[] = [];
    for (let n = 1; (n - 1) * part_size < bytes.length; n++) {
      const res = await call('uploadMultipartPart', {
        method: 'PUT',
        url: `${sessionUrl}/parts/${n}`,
        payload: bytes.subarray((n - 1) * part_size, n * part_size),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(res.statusCode).toBe(201);
      parts.push(res.json());
    }
    for (const [url, status] of [
      [`${sessionUrl}/parts/99`, 400],
      ['/api/v2/batches/multipart-upload/sessions/no-such-session/parts/1', 404],
    ] as const) {
      const res = await call('uploadMultipartPart', {
        method: 'PUT',
        url,
        payload: Buffer.from('x'),
      });
      expect(res.statusCode).toBe(status);
    }

    for (const [url, payload, status] of [
      [sessionUrl, { action: 'commit', parts: parts.slice(1) }, 400],
      [sessionUrl, { action: 'finish' }, 400],
      ['/api/v2/batches/multipart-upload/sessions/no-such-session', { action: 'abort' }, 404],
    ] as const) {
      const res = await call('commitMultipartUploadSession', { method: 'POST', url, payload });
      expect(res.statusCode).toBe(status);
    }
    const commit = await call('commitMultipartUploadSession', {
      method: 'POST',
      url: sessionUrl,
      payload: { action: 'commit', parts },
    });
    expect(commit.statusCode).toBe(201);
    expect(commit.body).toBe('');
    const files = await call('listFiles', { method: 'GET', url: `/api/v2/batches/${id}/files` });
    expect(files.json()).toMatchObject({
      nodes: [{ name: 'big.bin', metadata: { size: bytes.length } }],
    });
  });

  it('files: write, read, ranges, metadata, delete, and their errors', async () => {
    h = await startHarness(backend);
    const file = `${DRIVE}/reports/q1.txt`;
    const body = Buffer.from('quarterly numbers');
    const createdRes = await call('writeFile', {
      method: 'PUT',
      url: file,
      payload: body,
      headers: { 'content-type': 'application/octet-stream', 'if-none-match': '*' },
    });
    expect(createdRes.statusCode).toBe(201);
    expect(createdRes.headers.location).toBeDefined();
    const exists = await call('writeFile', {
      method: 'PUT',
      url: file,
      payload: body,
      headers: { 'if-none-match': '*' },
    });
    expect(exists.statusCode).toBe(412);
    const overwrite = await call('writeFile', { method: 'PUT', url: file, payload: body });
    expect(overwrite.statusCode).toBe(204);
    for (const [url, status, token] of [
      ['/api/v2/files/acme/alice/fs/No%20Such%20Drive/x.txt', 400, h.tokens.alice],
      [file, 404, h.tokens.eve],
    ] as const) {
      const res = await call('writeFile', { method: 'PUT', url, payload: body }, token);
      expect(res.statusCode).toBe(status);
    }

    const whole = await call('readFile', { method: 'GET', url: `${file}?expect-node-type=file` });
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload).toEqual(body);
    const part = await call('readFile', {
      method: 'GET',
      url: `${file}?expect-node-type=file`,
      headers: { range: 'bytes=0-8' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('quarterly');
    expect(part.headers['content-range']).toBe(`bytes 0-8/${body.length}`);
    for (const [url, status, headers] of [
      [`${DRIVE}/reports/nope.txt?expect-node-type=file`, 404, {}],
      [file, 400, {}],
      [`${file}?expect-node-type=file`, 416, { range: 'bytes=100-200' }],
    ] as const) {
      const res = await call('readFile', { method: 'GET', url, headers });
      expect(res.statusCode).toBe(status);
    }
    // Reading a folder is not described by the reference (its 200 is the file's bytes); the
    // listing uses the nodes of its listFiles response.
    const folder = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `${DRIVE}/reports?expect-node-type=folder`,
    });
    expect(folder.statusCode).toBe(200);
    expect(schemaProblems('listBatchFilesResponse', folder.json())).toEqual([]);

    const meta = await call('getFileMetadata', { method: 'HEAD', url: file });
    expect(meta.statusCode).toBe(200);
    expect(meta.headers['content-length']).toBe(String(body.length));
    expect(meta.headers['last-modified']).toBeDefined();
    const noMeta = await call('getFileMetadata', { method: 'HEAD', url: `${DRIVE}/nope.txt` });
    expect(noMeta.statusCode).toBe(404);

    const del = await call('deleteFileOrFolder', { method: 'DELETE', url: `${DRIVE}/reports` });
    expect(del.statusCode).toBe(202);
    const jobId = String(del.headers.location).split('/').pop()!;
    expect(await pollJob('jobStatus', jobId)).toBe('COMPLETE');
    const root = await call('deleteFileOrFolder', { method: 'DELETE', url: DRIVE });
    expect(root.statusCode).toBe(400);
    const gone = await call('readFile', { method: 'GET', url: `${file}?expect-node-type=file` });
    expect(gone.statusCode).toBe(404);
  });

  it('secrets: create, list, update, delete, and their errors', async () => {
    h = await startHarness(backend);
    const url = '/api/v2/aihub/secrets';
    const created = await call('createSecret', {
      method: 'POST',
      url,
      payload: { alias: 'ocr-key', value: 's3cr3t-value', allowed_workspaces_type: 'ALL' },
    });
    expect(created.statusCode).toBe(200);
    expect(created.body).not.toContain('s3cr3t-value');
    for (const [payload, status, token] of [
      [{ alias: 'ocr-key', value: 'x', allowed_workspaces_type: 'ALL' }, 409, h.tokens.alice],
      [{ alias: 'x', value: 'x' }, 400, h.tokens.alice],
      [{ alias: 'x', value: 'x', allowed_workspaces_type: 'SOME' }, 400, h.tokens.alice],
      [{ alias: 'x', value: 'x', allowed_workspaces_type: 'ALL' }, 403, h.tokens.bob],
    ] as const) {
      const res = await call('createSecret', { method: 'POST', url, payload }, token);
      expect(res.statusCode).toBe(status);
    }

    const all = await call('listSecrets', { method: 'GET', url });
    expect(all.statusCode).toBe(200);
    expect(all.json<{ secrets: { alias: string }[] }>().secrets.map((x) => x.alias)).toEqual([
      'ocr-key',
    ]);
    expect(all.body).not.toContain('s3cr3t-value');
    const scoped = await call(
      'listSecrets',
      { method: 'GET', url: `${url}?workspace=shared` },
      h.tokens.bob,
    );
    expect(scoped.statusCode).toBe(200);
    const unscoped = await call('listSecrets', { method: 'GET', url }, h.tokens.bob);
    expect(unscoped.statusCode).toBe(403);

    const updated = await call('updateSecret', {
      method: 'PATCH',
      url,
      payload: { alias: 'ocr-key', description: 'OCR service', value: 'n3w-value' },
    });
    expect(updated.statusCode).toBe(200);
    const listed = await call('listSecrets', { method: 'GET', url: `${url}?alias=ocr-key` });
    expect(listed.json<{ secrets: { description: string }[] }>().secrets[0]?.description).toBe(
      'OCR service',
    );
    const missing = await call('updateSecret', {
      method: 'PATCH',
      url,
      payload: { alias: 'nope', value: 'x' },
    });
    expect(missing.statusCode).toBe(404);

    const deleted = await call('deleteSecret', {
      method: 'DELETE',
      url,
      payload: { alias: 'ocr-key' },
    });
    expect(deleted.statusCode).toBe(200);
    const again = await call('deleteSecret', {
      method: 'DELETE',
      url,
      payload: { alias: 'ocr-key' },
    });
    expect(again.statusCode).toBe(404);
  });

  // Runs are checked by test/runs/runs-conformance.test.ts, through the same validator.
  const RUN_OPERATIONS = /^(runApp|runDeployment|listRuns|getRunStatus|deleteRun|getRunResults)$/;

  it('every other operation the server serves from the reference was checked', async () => {
    h = await startHarness(backend);
    const doc = (await h.runbox.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { operationId?: string }>>;
    }>();
    const served = Object.values(doc.paths)
      .flatMap((item) => Object.values(item).map((op) => op.operationId))
      .filter((id): id is string => id !== undefined && referenceOperationIds.includes(id));
    expect(served.length).toBeGreaterThanOrEqual(16);
    expect(served.filter((id) => !checked.has(id) && !RUN_OPERATIONS.test(id))).toEqual([]);
  });
});

/**
 * SPEC §6 bad bodies, sizes and ids on the batch endpoints: every refusal has the right type
 * and status, and leaves every batch, file and stored byte as it was.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  acmeState,
  expectError,
  listen,
  putBatchFile,
  rawErrorType,
  rawRequest,
  storageFiles,
  storedBatchFile,
  postJson,
  seedBatchWithFile,
} from './http-helpers.js';

describeEachBackend('v2 batches: bad bodies, sizes and ids', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    postJson(h, url, payload, headers);
  const seed = () => seedBatchWithFile(h);

  it('refuses malformed JSON', async () => {
    h = await startHarness(backend);
    const id = await seed();
    const sid = (
      await post('/api/v2/batches/multipart-upload', { batch_id: id, filename: 'm', file_size: 1 })
    ).json<{ session_id: string }>().session_id;
    const before = await acmeState(h);
    for (const url of [
      '/api/v2/batches',
      '/api/v2/batches/multipart-upload',
      `/api/v2/batches/multipart-upload/sessions/${sid}`,
    ]) {
      for (const body of ['{"name":', '{name: "x"}', "{'name':'x'}", '[1,2', '']) {
        const res = await post(url, body);
        expect({ url, body, status: res.statusCode }).toEqual({ url, body, status: 400 });
        expectError(res, 400, 'invalid-input');
      }
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('refuses unknown fields, naming them', async () => {
    h = await startHarness(backend);
    const id = await seed();
    const sid = (
      await post('/api/v2/batches/multipart-upload', { batch_id: id, filename: 'm', file_size: 1 })
    ).json<{ session_id: string }>().session_id;
    const before = await acmeState(h);
    const cases: [string, unknown][] = [
      ['/api/v2/batches', { name: 'x', colour: 'blue' }],
      [
        '/api/v2/batches/multipart-upload',
        { batch_id: id, filename: 'f', file_size: 1, colour: 1 },
      ],
      [`/api/v2/batches/multipart-upload/sessions/${sid}`, { action: 'abort', colour: 1 }],
      [
        `/api/v2/batches/multipart-upload/sessions/${sid}`,
        { action: 'commit', parts: [{ part_num: 1, part_id: 'x', colour: 1 }] },
      ],
    ];
    for (const [url, body] of cases) {
      const res = await post(url, body);
      expectError(res, 400, 'invalid-input');
      expect(res.json<{ message: string }>().message).toContain('colour');
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('refuses mistyped fields in the multipart bodies', async () => {
    h = await startHarness(backend);
    const id = await seed();
    const before = await acmeState(h);
    const create = '/api/v2/batches/multipart-upload';
    for (const body of [
      { batch_id: 'abc', filename: 'f', file_size: 1 },
      { batch_id: 1.5, filename: 'f', file_size: 1 },
      { batch_id: id, filename: 'f', file_size: -1 },
      { batch_id: id, filename: 'f', file_size: '12a' },
      { batch_id: id, filename: 'f', file_size: 1.5 },
      { batch_id: id, filename: 'f' },
      { batch_id: 1e23, filename: 'f', file_size: 1 },
    ]) {
      const res = await post(create, body);
      expect({ body, status: res.statusCode }).toEqual({ body, status: 400 });
      expectError(res, 400, 'invalid-input');
    }
    const sid = (await post(create, { batch_id: id, filename: 'f', file_size: 1 })).json<{
      session_id: string;
    }>().session_id;
    const session = `${create}/sessions/${sid}`;
    for (const body of [{}, { action: 'finish' }, { action: 'commit', parts: 'all' }]) {
      expectError(await post(session, body), 400, 'invalid-input');
    }
    // Still open and usable: nothing above touched it.
    expect((await post(session, { action: 'abort' })).statusCode).toBe(201);
    expect(await acmeState(h)).toEqual(before);
  });

  it('refuses mistyped fields (name: 5) instead of coercing them', async () => {
    h = await startHarness(backend);
    const id = await seed();
    const before = await acmeState(h);
    const cases: [string, unknown][] = [
      ['/api/v2/batches', { name: 5 }],
      ['/api/v2/batches', { name: true }],
      ['/api/v2/batches', { name: ['x'] }],
      ['/api/v2/batches', { name: null }],
      ['/api/v2/batches', { name: {} }],
      ['/api/v2/batches', { name: 'x', workspace: 5 }],
      ['/api/v2/batches/multipart-upload', { batch_id: id, filename: ['f'], file_size: 1 }],
      ['/api/v2/batches/multipart-upload', { batch_id: id, filename: 7, file_size: 1 }],
    ];
    for (const [url, body] of cases) {
      const res = await post(url, body);
      expect({ body, status: res.statusCode }).toEqual({ body, status: 400 });
      expectError(res, 400, 'invalid-input');
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('refuses a file over the size limit with 413, keeping the old version and no partial upload', async () => {
    h = await startHarness(backend, { RUNBOX_MAX_FILE_BYTES: '5000' });
    const port = await listen(h);
    const id = await seed();
    const before = await acmeState(h);
    // Declared too large: refused before reading.
    expectError(
      await putBatchFile(h, h.tokens.alice, id, 'a.txt', Buffer.alloc(5001)),
      413,
      'payload-too-large',
    );
    expectError(
      await putBatchFile(h, h.tokens.alice, id, 'big.bin', Buffer.alloc(5001)),
      413,
      'payload-too-large',
    );
    // Streamed without a length: refused once the limit is crossed.
    for (const name of ['a.txt', 'big.bin']) {
      const res = await rawRequest(port, {
        method: 'PUT',
        path: `/api/v2/batches/${id}/files/${name}`,
        token: h.tokens.alice,
        chunks: [Buffer.alloc(3000, 1), Buffer.alloc(3000, 2)],
      });
      expect(rawErrorType(res)).toEqual({ status: 413, type: 'payload-too-large' });
    }
    expect(await acmeState(h)).toEqual(before);
    expect(storageFiles(h, 'tmp')).toEqual([]);
    expect((await storedBatchFile(h, id, 'a.txt'))?.bytes.toString()).toBe('original');

    // Exactly at the limit is fine, streamed or not.
    expect(
      (await putBatchFile(h, h.tokens.alice, id, 'max.bin', Buffer.alloc(5000))).statusCode,
    ).toBe(204);
    const streamed = await rawRequest(port, {
      method: 'PUT',
      path: `/api/v2/batches/${id}/files/max2.bin`,
      token: h.tokens.alice,
      chunks: [Buffer.alloc(2500), Buffer.alloc(2500)],
    });
    expect(streamed.status).toBe(204);
  });

  it('refuses batch ids that are not positive integers', async () => {
    h = await startHarness(backend);
    await seed();
    const before = await acmeState(h);
    for (const bad of [
      'abc',
      '1.5',
      '0',
      '-1',
      '1e999',
      '%20',
      'null',
      '99999999999999999999999',
    ]) {
      const requests = [
        h.as(h.tokens.alice, { method: 'GET', url: `/api/v2/batches/${bad}` }),
        h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${bad}` }),
        h.as(h.tokens.alice, { method: 'GET', url: `/api/v2/batches/${bad}/files` }),
        putBatchFile(h, h.tokens.alice, bad as unknown as number, 'a.txt', 'x'),
        h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${bad}/files/a.txt` }),
      ];
      for (const res of await Promise.all(requests)) {
        expect({ bad, url: res.raw.req.url, status: res.statusCode }).toEqual({
          bad,
          url: res.raw.req.url,
          status: 400,
        });
        expectError(res, 400, 'invalid-input');
      }
    }
    expect(await acmeState(h)).toEqual(before);
  });
});

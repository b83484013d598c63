/**
 * SPEC §6 bad names on the batch endpoints (file names in URLs and bodies, batch names): every
 * refusal has the right type and status, and leaves every batch, file and stored byte as it was.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  acmeState,
  createBatch,
  expectError,
  listBatchFiles,
  listen,
  OCTET,
  putBatchFile,
  rawErrorType,
  rawRequest,
  storedBatchFile,
  postJson,
  seedBatchWithFile,
} from './http-helpers.js';

/** File names as they appear in the URL, each decoding to something that must be refused. */
const BAD_NAMES = [
  '%2E%2E%2F', // ../
  '..%2F..%2Fetc%2Fpasswd',
  '%2Fetc%2Fpasswd', // absolute
  '%00', // NUL
  'a%00.txt',
  '%01', // control characters
  'a%1Fb',
  'a%7F',
  'a%0Ab',
  'a%5Cb', // backslash
  '..%5C..%5Cwin.ini',
];

describeEachBackend('v2 batches: bad names', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    postJson(h, url, payload, headers);
  const seed = () => seedBatchWithFile(h);

  it('refuses traversal, absolute, NUL, control and backslash file names, storing nothing', async () => {
    h = await startHarness(backend);
    const id = await seed();
    const before = await acmeState(h);
    for (const name of BAD_NAMES) {
      const put = await h.as(h.tokens.alice, {
        method: 'PUT',
        url: `/api/v2/batches/${id}/files/${name}`,
        payload: Buffer.from('evil'),
        headers: OCTET,
      });
      expect({ name, status: put.statusCode, type: put.json<{ type: string }>().type }).toEqual({
        name,
        status: 400,
        type: 'invalid-input',
      });
      const del = await h.as(h.tokens.alice, {
        method: 'DELETE',
        url: `/api/v2/batches/${id}/files/${name}`,
      });
      expect({ name, status: del.statusCode }).toEqual({ name, status: 400 });
      expectError(del, 400, 'invalid-input');
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('refuses `..` and `.` sent raw over a socket (no client-side normalisation)', async () => {
    h = await startHarness(backend);
    const port = await listen(h);
    const id = await seed();
    const before = await acmeState(h);
    for (const name of ['..', '%2e%2e', '%2E%2E', '.', '%2e']) {
      const res = await rawRequest(port, {
        method: 'PUT',
        path: `/api/v2/batches/${id}/files/${name}`,
        token: h.tokens.alice,
        chunks: [Buffer.from('evil')],
      });
      expect({ name, ...rawErrorType(res) }).toEqual({ name, status: 400, type: 'invalid-input' });
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('refuses bad file names when opening a multipart upload', async () => {
    h = await startHarness(backend);
    const id = await seed();
    const before = await acmeState(h);
    for (const filename of [
      '..',
      '.',
      '../x',
      '/etc/passwd',
      'a\u0000b',
      'a\u0001b',
      'a\\b',
      '',
      'x'.repeat(256),
    ]) {
      const res = await post('/api/v2/batches/multipart-upload', {
        batch_id: id,
        filename,
        file_size: 3,
      });
      expect({ filename, status: res.statusCode }).toEqual({ filename, status: 400 });
      expectError(res, 400, 'invalid-input');
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('takes batch names of up to 255 characters and refuses longer ones', async () => {
    h = await startHarness(backend);
    await seed();
    const before = await acmeState(h);
    expectError(await post('/api/v2/batches', { name: 'n'.repeat(256) }), 400, 'invalid-input');
    expect(await acmeState(h)).toEqual(before);
    expect((await post('/api/v2/batches', { name: 'n'.repeat(255) })).statusCode).toBe(200);
  });

  it('takes file names of up to 255 characters and refuses longer ones with 400', async () => {
    h = await startHarness(backend);
    const id = await seed();
    const before = await acmeState(h);
    expectError(
      await putBatchFile(h, h.tokens.alice, id, 'f'.repeat(256), 'x'),
      400,
      'invalid-input',
    );
    expect(await acmeState(h)).toEqual(before);
    const long = 'f'.repeat(255);
    expect((await putBatchFile(h, h.tokens.alice, id, long, 'x')).statusCode).toBe(204);
    expect((await storedBatchFile(h, id, long))?.bytes.toString()).toBe('x');
  });

  it('refuses empty batch names and names with control characters', async () => {
    h = await startHarness(backend);
    await seed();
    const before = await acmeState(h);
    for (const name of ['', '   ', 'tab\there', 'nul\u0000', 'line\nbreak']) {
      const res = await post('/api/v2/batches', { name });
      expect({ name, status: res.statusCode }).toEqual({ name, status: 400 });
      expectError(res, 400, 'invalid-input');
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('accepts unusual but harmless names and round-trips them exactly', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const names = [
      'ünïcödé €.pdf',
      'a%b.txt',
      'what?.txt',
      'hash#tag.txt',
      'a+b.txt',
      '..hidden',
      'x..y',
      ' spaced ',
    ];
    for (const name of names) {
      const res = await putBatchFile(h, h.tokens.alice, id, name, name);
      expect({ name, status: res.statusCode }).toEqual({ name, status: 204 });
    }
    const listed = (await listBatchFiles(h, h.tokens.alice, id)).map((f) => f.name).sort();
    expect(listed).toEqual([...names].sort());
    for (const name of names) {
      expect((await storedBatchFile(h, id, name))?.bytes.toString()).toBe(name);
      const del = await h.as(h.tokens.alice, {
        method: 'DELETE',
        url: `/api/v2/batches/${id}/files/${encodeURIComponent(name)}`,
      });
      expect({ name, status: del.statusCode }).toEqual({ name, status: 202 });
    }
    expect(await listBatchFiles(h, h.tokens.alice, id)).toEqual([]);
  });
});

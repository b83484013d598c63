/**
 * SPEC §6 bad input on the Files API: every path that could leave the workspace's drive is
 * refused before storage is touched, and a refused request changes nothing.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  drive,
  expectError,
  listen,
  OCTET,
  rawErrorType,
  rawRequest,
  storageFiles,
} from './http-helpers.js';

const ALICE = drive('alice');

/** Paths as they appear in the URL after `/api/v2/files/`, each to be refused with 400. */
const BAD_PATHS = [
  `${ALICE}/..%2F..%2Fbob%2Fsecret.txt`,
  `${ALICE}/%2E%2E%2F%2E%2E%2Fx`,
  `${ALICE}/a/..%2F..%2F..%2Fx`,
  `${ALICE}/%2Fetc%2Fpasswd`,
  `${ALICE}//etc/passwd`,
  'etc/passwd',
  `${ALICE}/a%00.txt`,
  `${ALICE}/%00`,
  `${ALICE}/a%01b.txt`,
  `${ALICE}/a%1B.txt`,
  `${ALICE}/a%7F.txt`,
  `${ALICE}/a%5Cb.txt`,
  `${ALICE}/..%5C..%5Cx`,
  `${ALICE}/${'x'.repeat(256)}`,
  `acme/alice/fs/Other%20Drive/a.txt`,
  `acme/alice/nofs/Runbox%20Drive/a.txt`,
  'acme/alice',
];

describeEachBackend('v2 files: bad input', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const seed = async () => {
    const res = await h.as(h.tokens.alice, {
      method: 'PUT',
      url: `/api/v2/files/${ALICE}/a/keep.txt`,
      payload: 'original',
      headers: OCTET,
    });
    expect(res.statusCode).toBe(204);
  };
  const readKeep = () =>
    h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/files/${ALICE}/a/keep.txt?expect-node-type=file`,
    });

  it('refuses traversal, absolute, NUL, control-character and backslash paths for every method', async () => {
    h = await startHarness(backend);
    await seed();
    const before = storageFiles(h);
    for (const path of BAD_PATHS) {
      const url = `/api/v2/files/${path}`;
      const results = [
        await h.as(h.tokens.alice, { method: 'PUT', url, payload: 'evil', headers: OCTET }),
        await h.as(h.tokens.alice, {
          method: 'PUT',
          url,
          payload: 'evil',
          headers: { ...OCTET, 'if-none-match': '*' },
        }),
        await h.as(h.tokens.alice, { method: 'GET', url: `${url}?expect-node-type=file` }),
        await h.as(h.tokens.alice, { method: 'GET', url: `${url}?expect-node-type=folder` }),
        await h.as(h.tokens.alice, { method: 'DELETE', url }),
      ];
      for (const res of results) {
        const got = { path, method: res.raw.req.method, status: res.statusCode };
        expect(got).toEqual({ ...got, status: 400 });
        expectError(res, 400, 'invalid-input');
      }
      const head = await h.as(h.tokens.alice, { method: 'HEAD', url });
      expect({ path, status: head.statusCode }).toEqual({ path, status: 400 });
    }
    expect(storageFiles(h)).toEqual(before);
    expect((await readKeep()).payload).toBe('original');
  });

  it('refuses `..` and `.` segments sent raw over a socket', async () => {
    h = await startHarness(backend);
    const port = await listen(h);
    await seed();
    const before = storageFiles(h);
    const paths = [
      `${ALICE}/../bob/x.txt`,
      `${ALICE}/a/../../../../etc/passwd`,
      `${ALICE}/%2e%2e/x.txt`,
      `${ALICE}/%2E%2E/%2E%2E/x.txt`,
      `${ALICE}/./a/keep.txt`,
      `acme/alice/fs/Runbox%20Drive/..`,
    ];
    for (const path of paths) {
      for (const method of ['PUT', 'DELETE']) {
        const res = await rawRequest(port, {
          method,
          path: `/api/v2/files/${path}`,
          token: h.tokens.alice,
          ...(method === 'PUT' ? { chunks: [Buffer.from('evil')] } : {}),
        });
        expect({ path, method, ...rawErrorType(res) }).toEqual({
          path,
          method,
          status: 400,
          type: 'invalid-input',
        });
      }
      const get = await rawRequest(port, {
        method: 'GET',
        path: `/api/v2/files/${path}?expect-node-type=file`,
        token: h.tokens.alice,
      });
      expect({ path, ...rawErrorType(get) }).toEqual({ path, status: 400, type: 'invalid-input' });
    }
    expect(storageFiles(h)).toEqual(before);
  });

  it('takes path segments of up to 255 characters', async () => {
    h = await startHarness(backend);
    const long = `${ALICE}/${'d'.repeat(255)}/${'f'.repeat(255)}`;
    const put = await h.as(h.tokens.alice, {
      method: 'PUT',
      url: `/api/v2/files/${long}`,
      payload: 'long',
      headers: OCTET,
    });
    expect(put.statusCode).toBe(204);
    const get = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/files/${long}?expect-node-type=file`,
    });
    expect(get.payload).toBe('long');
  });

  it('refuses writing to the drive root itself', async () => {
    h = await startHarness(backend);
    await seed();
    const before = storageFiles(h);
    for (const path of [ALICE, `${ALICE}/`, `/${ALICE}/`]) {
      const res = await h.as(h.tokens.alice, {
        method: 'PUT',
        url: `/api/v2/files/${path}`,
        payload: 'x',
        headers: OCTET,
      });
      expectError(res, 400, 'invalid-input');
    }
    expect(storageFiles(h)).toEqual(before);
  });

  it('refuses a file over the size limit with 413, keeping the old content and no partial upload', async () => {
    h = await startHarness(backend, { RUNBOX_MAX_FILE_BYTES: '5000' });
    const port = await listen(h);
    await seed();
    const before = storageFiles(h);
    for (const path of [`${ALICE}/a/keep.txt`, `${ALICE}/a/new.bin`]) {
      const declared = await h.as(h.tokens.alice, {
        method: 'PUT',
        url: `/api/v2/files/${path}`,
        payload: Buffer.alloc(5001),
        headers: OCTET,
      });
      expectError(declared, 413, 'payload-too-large');
      const streamed = await rawRequest(port, {
        method: 'PUT',
        path: `/api/v2/files/${path}`,
        token: h.tokens.alice,
        chunks: [Buffer.alloc(4000, 7), Buffer.alloc(4000, 8)],
      });
      expect(rawErrorType(streamed)).toEqual({ status: 413, type: 'payload-too-large' });
    }
    expect(storageFiles(h)).toEqual(before);
    expect(storageFiles(h, 'tmp')).toEqual([]);
    expect((await readKeep()).payload).toBe('original');
    const head = await h.as(h.tokens.alice, {
      method: 'HEAD',
      url: `/api/v2/files/${ALICE}/a/new.bin`,
    });
    expect(head.statusCode).toBe(404);

    const atLimit = await rawRequest(port, {
      method: 'PUT',
      path: `/api/v2/files/${ALICE}/a/max.bin`,
      token: h.tokens.alice,
      chunks: [Buffer.alloc(2500), Buffer.alloc(2500)],
    });
    expect(atLimit.status).toBe(204);
  });

  it('refuses a Range it cannot parse with 416, and serves the file without one', async () => {
    h = await startHarness(backend);
    await seed();
    for (const range of ['bytes=abc', 'bytes=-0', 'bytes=x-5']) {
      const res = await h.as(h.tokens.alice, {
        method: 'GET',
        url: `/api/v2/files/${ALICE}/a/keep.txt?expect-node-type=file`,
        headers: { range },
      });
      expect({ range, status: res.statusCode }).toEqual({ range, status: 416 });
    }
    // A unit other than bytes is ignored (RFC 9110 §14.2): the whole file.
    const other = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/files/${ALICE}/a/keep.txt?expect-node-type=file`,
      headers: { range: 'items=0-1' },
    });
    expect({ status: other.statusCode, body: other.payload }).toEqual({
      status: 200,
      body: 'original',
    });
    expect((await readKeep()).payload).toBe('original');
  });
});

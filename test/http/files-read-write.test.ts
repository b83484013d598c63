import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { drive, expectError, OCTET, storageFiles } from './http-helpers.js';

interface Listing {
  nodes: { full_path: string; name: string; metadata: { node_type: string; size: number } }[];
}

const ALICE = drive('alice');

describeEachBackend('v2 files: write and read', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const put = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    h.as(h.tokens.alice, {
      method: 'PUT',
      url: `/api/v2/files/${path}`,
      payload: Buffer.from(body),
      headers: { ...OCTET, ...headers },
    });
  const get = (
    path: string,
    type: 'file' | 'folder' = 'file',
    headers: Record<string, string> = {},
  ) =>
    h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/files/${path}?expect-node-type=${type}`,
      headers,
    });
  const list = async (path: string) => {
    const res = await get(path, 'folder');
    expect(res.statusCode, res.payload).toBe(200);
    return res.json<Listing>().nodes.map((n) => `${n.metadata.node_type}:${n.name}`);
  };

  it('writes a file with 204, creating its parent folders', async () => {
    h = await startHarness(backend);
    const res = await put(`${ALICE}/reports/2024/q1.txt`, 'hello world');
    expect(res.statusCode).toBe(204);
    expect(res.payload).toBe('');
    expect(await list(ALICE)).toEqual(['folder:reports']);
    expect(await list(`${ALICE}/reports`)).toEqual(['folder:2024']);
    expect(await list(`${ALICE}/reports/2024`)).toEqual(['file:q1.txt']);
    const read = await get(`${ALICE}/reports/2024/q1.txt`);
    expect(read.statusCode).toBe(200);
    expect(read.payload).toBe('hello world');
  });

  it('overwrites a file without If-None-Match', async () => {
    h = await startHarness(backend);
    expect((await put(`${ALICE}/a.txt`, 'first')).statusCode).toBe(204);
    expect((await put(`${ALICE}/a.txt`, 'second!')).statusCode).toBe(204);
    const read = await get(`${ALICE}/a.txt`);
    expect(read.payload).toBe('second!');
    expect(read.headers['content-length']).toBe('7');
  });

  it('with If-None-Match: * creates a new file (201 + Location) and refuses an existing one (412)', async () => {
    h = await startHarness(backend);
    const created = await put(`${ALICE}/docs/new.txt`, 'original', { 'if-none-match': '*' });
    expect(created.statusCode).toBe(201);
    const location = created.headers.location as string;
    expect(location).toBe(`/api/v2/files/${ALICE}/docs/new.txt`);
    const followed = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `${location}?expect-node-type=file`,
    });
    expect(followed.payload).toBe('original');

    const before = storageFiles(h);
    const again = await put(`${ALICE}/docs/new.txt`, 'clobbered', { 'if-none-match': '*' });
    expectError(again, 412, 'precondition-failed');
    expect((await get(`${ALICE}/docs/new.txt`)).payload).toBe('original');
    expect(storageFiles(h)).toEqual(before);
  });

  it('gives a Location that leads back to the file, whatever its name', async () => {
    h = await startHarness(backend);
    for (const name of ['what?.txt', 'a#b.txt', 'percent%25.txt', 'ünïcode €.txt']) {
      const encoded = encodeURIComponent(name);
      const created = await put(`${ALICE}/odd/${encoded}`, name, { 'if-none-match': '*' });
      expect(created.statusCode, name).toBe(201);
      const location = created.headers.location as string;
      const followed = await h.as(h.tokens.alice, {
        method: 'GET',
        url: `${location}?expect-node-type=file`,
      });
      expect({ name, status: followed.statusCode, body: followed.payload }).toEqual({
        name,
        status: 200,
        body: name,
      });
    }
  });

  it('reads a file with 200, its length and type', async () => {
    h = await startHarness(backend);
    const bytes = Buffer.from([0, 255, 1, 254, 2, 253]);
    await put(`${ALICE}/bin.dat`, bytes);
    const res = await get(`${ALICE}/bin.dat`);
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(bytes);
    expect(res.headers['content-length']).toBe('6');
    expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
    expect(Date.parse(res.headers['last-modified'] as string)).not.toBeNaN();
  });

  it('reads byte ranges with 206 and Content-Range; a range past the end is 416', async () => {
    h = await startHarness(backend);
    await put(`${ALICE}/r.txt`, 'hello world');
    const first = await get(`${ALICE}/r.txt`, 'file', { range: 'bytes=0-4' });
    expect(first.statusCode).toBe(206);
    expect(first.payload).toBe('hello');
    expect(first.headers['content-range']).toBe('bytes 0-4/11');
    expect(first.headers['content-length']).toBe('5');

    const tail = await get(`${ALICE}/r.txt`, 'file', { range: 'bytes=6-' });
    expect([tail.statusCode, tail.payload, tail.headers['content-range']]).toEqual([
      206,
      'world',
      'bytes 6-10/11',
    ]);
    const suffix = await get(`${ALICE}/r.txt`, 'file', { range: 'bytes=-3' });
    expect([suffix.statusCode, suffix.payload]).toEqual([206, 'rld']);
    const clipped = await get(`${ALICE}/r.txt`, 'file', { range: 'bytes=8-100' });
    expect([clipped.statusCode, clipped.payload, clipped.headers['content-range']]).toEqual([
      206,
      'rld',
      'bytes 8-10/11',
    ]);

    const past = await get(`${ALICE}/r.txt`, 'file', { range: 'bytes=11-20' });
    expectError(past, 416, 'range-not-satisfiable');
    expect(past.headers['content-range']).toBe('bytes */11');
    expectError(
      await get(`${ALICE}/r.txt`, 'file', { range: 'bytes=5-2' }),
      416,
      'range-not-satisfiable',
    );
  });

  it('lists a folder as JSON with each entry’s type, size and full path', async () => {
    h = await startHarness(backend);
    await put(`${ALICE}/in/b.txt`, 'bb');
    await put(`${ALICE}/in/a.txt`, 'a');
    await put(`${ALICE}/in/sub/c.txt`, 'ccc');
    const res = await get(`${ALICE}/in`, 'folder');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const nodes = res.json<Listing>().nodes;
    expect(nodes.map((n) => [n.name, n.metadata.node_type, n.metadata.size, n.full_path])).toEqual([
      ['a.txt', 'file', 1, 'acme/alice/fs/Runbox Drive/in/a.txt'],
      ['b.txt', 'file', 2, 'acme/alice/fs/Runbox Drive/in/b.txt'],
      ['sub', 'folder', 0, 'acme/alice/fs/Runbox Drive/in/sub'],
    ]);
    // An empty drive lists as empty; a missing folder is 404.
    expect(await list(drive('bob'))).toEqual([]);
    expectError(await get(`${ALICE}/nothing-here`, 'folder'), 404, 'record-not-found');
  });

  it('tells a file from a folder: 400 when the node type does not match, 404 when absent', async () => {
    h = await startHarness(backend);
    await put(`${ALICE}/dir/f.txt`, 'x');
    expectError(await get(`${ALICE}/dir`, 'file'), 400, 'invalid-input');
    expectError(await get(`${ALICE}/dir/f.txt`, 'folder'), 400, 'invalid-input');
    expectError(await get(`${ALICE}/dir/missing.txt`, 'file'), 404, 'record-not-found');
    const noType = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/files/${ALICE}/dir/f.txt`,
    });
    expectError(noType, 400, 'invalid-input');
  });

  it('answers HEAD with Content-Length and Last-Modified, and 404 when absent', async () => {
    h = await startHarness(backend);
    await put(`${ALICE}/h/file.txt`, 'twelve bytes');
    const head = await h.as(h.tokens.alice, {
      method: 'HEAD',
      url: `/api/v2/files/${ALICE}/h/file.txt`,
    });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('12');
    expect(Date.parse(head.headers['last-modified'] as string)).not.toBeNaN();
    expect(head.payload).toBe('');
    const folder = await h.as(h.tokens.alice, { method: 'HEAD', url: `/api/v2/files/${ALICE}/h` });
    expect(folder.statusCode).toBe(200);
    const missing = await h.as(h.tokens.alice, {
      method: 'HEAD',
      url: `/api/v2/files/${ALICE}/h/nope.txt`,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('accepts paths with and without a leading slash', async () => {
    h = await startHarness(backend);
    expect((await put(`/${ALICE}/slash.txt`, 'with')).statusCode).toBe(204);
    expect((await put(`%2F${ALICE}/encoded.txt`, 'encoded')).statusCode).toBe(204);
    expect((await get(`${ALICE}/slash.txt`)).payload).toBe('with');
    expect((await get(`/${ALICE}/encoded.txt`)).payload).toBe('encoded');
    expect(await list(`/${ALICE}`)).toEqual(['file:encoded.txt', 'file:slash.txt']);
    const head = await h.as(h.tokens.alice, {
      method: 'HEAD',
      url: `/api/v2/files//${ALICE}/slash.txt`,
    });
    expect(head.statusCode).toBe(200);
  });

  it('refuses to write a file where a folder is, or under a file, changing nothing', async () => {
    h = await startHarness(backend);
    await put(`${ALICE}/folder/inner.txt`, 'inner');
    await put(`${ALICE}/plain.txt`, 'plain');
    const before = storageFiles(h);
    expectError(await put(`${ALICE}/folder`, 'x'), 400, 'invalid-input');
    expectError(await put(`${ALICE}/plain.txt/child.txt`, 'x'), 400, 'invalid-input');
    expectError(await put(`${ALICE}/plain.txt/deeper/child.txt`, 'x'), 400, 'invalid-input');
    expect(storageFiles(h)).toEqual(before);
    expect((await get(`${ALICE}/plain.txt`)).payload).toBe('plain');
  });
});

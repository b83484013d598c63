import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';
import {
  acmeState,
  batchObjects,
  createBatch,
  expectError,
  listBatchFiles,
  putBatchFile,
  storedBatchFile,
  type FileNode,
} from './http-helpers.js';

interface FilesPage {
  nodes: (FileNode & { perms: Record<string, boolean> })[];
  next_page_token: string;
  has_more: boolean;
}

describeEachBackend('v2 batch files', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const page = async (id: number, query: string) => {
    const res = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/batches/${id}/files?${query}`,
    });
    expect(res.statusCode, res.payload).toBe(200);
    return res.json<FilesPage>();
  };

  it('stores a file with 204 and lists it with its size', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
    const put = await putBatchFile(h, h.tokens.alice, id, 'scan one.pdf', bytes);
    expect(put.statusCode).toBe(204);
    expect(put.payload).toBe('');
    expect((await storedBatchFile(h, id, 'scan one.pdf'))?.bytes).toEqual(bytes);

    const listing = await page(id, '');
    expect(listing).toEqual({
      nodes: [
        {
          full_path: expect.stringContaining(`batches/${id}/scan one.pdf`) as string,
          name: 'scan one.pdf',
          metadata: {
            node_type: 'file',
            size: 8,
            modified_timestamp: expect.any(Number) as number,
          },
          perms: { can_read: true, can_write: true, can_delete: true },
        },
      ],
      next_page_token: '',
      has_more: false,
    });
    // Seconds, like the reference's example.
    const ts = listing.nodes[0]!.metadata.modified_timestamp;
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(24 * 3600);
  });

  it('stores an empty file', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    expect((await putBatchFile(h, h.tokens.alice, id, 'empty.txt', '')).statusCode).toBe(204);
    expect((await storedBatchFile(h, id, 'empty.txt'))?.bytes.length).toBe(0);
    expect((await listBatchFiles(h, h.tokens.alice, id))[0]?.metadata.size).toBe(0);
  });

  it('stores the raw bytes whatever the Content-Type says', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const types = ['application/json', 'application/x-www-form-urlencoded', 'text/plain'];
    for (const [i, type] of types.entries()) {
      const res = await h.as(h.tokens.alice, {
        method: 'PUT',
        url: `/api/v2/batches/${id}/files/f${i}.json`,
        payload: Buffer.from('{"not": parsed'),
        headers: { 'content-type': type },
      });
      expect(res.statusCode, type).toBe(204);
      expect((await storedBatchFile(h, id, `f${i}.json`))?.bytes.toString()).toBe('{"not": parsed');
    }
  });

  it('overwrites a file: new content, one row, and the old object removed from storage', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    expect((await putBatchFile(h, h.tokens.alice, id, 'a.txt', 'first version')).statusCode).toBe(
      204,
    );
    const first = await storedBatchFile(h, id, 'a.txt');
    expect(batchObjects(h, id)).toHaveLength(1);

    expect((await putBatchFile(h, h.tokens.alice, id, 'a.txt', 'v2')).statusCode).toBe(204);
    const second = await storedBatchFile(h, id, 'a.txt');
    expect(second?.bytes.toString()).toBe('v2');
    expect(await h.runbox.blobs.stat(first!.key)).toBeUndefined();
    expect(batchObjects(h, id)).toHaveLength(1);
    const files = await listBatchFiles(h, h.tokens.alice, id);
    expect(files.map((f) => [f.name, f.metadata.size])).toEqual([['a.txt', 2]]);
  });

  it('pages through the files with page_size and start_token', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const names = ['f01', 'f02', 'f03', 'f04', 'f05', 'f06', 'f07'];
    for (const n of [...names].reverse()) {
      expect((await putBatchFile(h, h.tokens.alice, id, n, n)).statusCode).toBe(204);
    }
    const seen: string[][] = [];
    let start = '';
    let pages = 0;
    for (;;) {
      const p = await page(
        id,
        `page_size=3${start ? `&start_token=${encodeURIComponent(start)}` : ''}`,
      );
      pages++;
      seen.push(p.nodes.map((n) => n.name));
      if (!p.has_more) {
        expect(p.next_page_token).toBe('');
        break;
      }
      expect(p.next_page_token).not.toBe('');
      start = p.next_page_token;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([['f01', 'f02', 'f03'], ['f04', 'f05', 'f06'], ['f07']]);

    // A page that ends exactly at the last file says there is no more.
    const exact = await page(id, 'page_size=7');
    expect(exact.nodes).toHaveLength(7);
    expect(exact.has_more).toBe(false);
    expect(exact.next_page_token).toBe('');
    // The default page holds them all.
    expect((await page(id, '')).nodes).toHaveLength(7);
  });

  it('keeps paging stable when files are added before the cursor', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    for (const n of ['b', 'c', 'd', 'e']) await putBatchFile(h, h.tokens.alice, id, n, n);
    const first = await page(id, 'page_size=2');
    expect(first.nodes.map((n) => n.name)).toEqual(['b', 'c']);
    await putBatchFile(h, h.tokens.alice, id, 'a', 'a');
    const second = await page(
      id,
      `page_size=2&start_token=${encodeURIComponent(first.next_page_token)}`,
    );
    expect(second.nodes.map((n) => n.name)).toEqual(['d', 'e']);
    expect(second.has_more).toBe(false);
  });

  it('refuses a start_token it did not issue', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    const res = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/batches/${id}/files?start_token=not-a-token`,
    });
    expectError(res, 400, 'invalid-input');
    expect(res.json<{ message: string }>().message).toMatch(/start_token/);
  });

  it('deletes a file through a job: 202 with Location, job COMPLETE, gone from listing and storage', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    await putBatchFile(h, h.tokens.alice, id, 'keep.txt', 'keep');
    await putBatchFile(h, h.tokens.alice, id, 'drop me.txt', 'drop');
    const dropped = await storedBatchFile(h, id, 'drop me.txt');

    const del = await h.as(h.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/batches/${id}/files/drop%20me.txt`,
    });
    expect(del.statusCode).toBe(202);
    const location = del.headers.location as string;
    expect(location).toMatch(/^\/api\/v2\/jobs\/[^/]+$/);
    const jobId = location.split('/').at(-1)!;
    expect(await waitForJob(h, h.tokens.alice, jobId)).toEqual({
      state: 'COMPLETE',
      message: expect.any(String) as string,
    });
    const polled = await h.as(h.tokens.alice, { method: 'GET', url: location });
    expect(polled.json<{ state: string }>().state).toBe('COMPLETE');

    expect((await listBatchFiles(h, h.tokens.alice, id)).map((f) => f.name)).toEqual(['keep.txt']);
    expect(await storedBatchFile(h, id, 'drop me.txt')).toBeUndefined();
    expect(await h.runbox.blobs.stat(dropped!.key)).toBeUndefined();
    expect(batchObjects(h, id)).toHaveLength(1);
    expect((await storedBatchFile(h, id, 'keep.txt'))?.bytes.toString()).toBe('keep');

    const again = await h.as(h.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/batches/${id}/files/drop%20me.txt`,
    });
    expectError(again, 404, 'record-not-found');
  });

  it('answers 404 for a missing file or batch, changing nothing', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    await putBatchFile(h, h.tokens.alice, id, 'a.txt', 'a');
    const before = await acmeState(h);

    expectError(
      await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/${id}/files/nope.txt` }),
      404,
      'record-not-found',
    );
    expectError(
      await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/batches/99999/files/a.txt` }),
      404,
      'record-not-found',
    );
    expectError(
      await putBatchFile(h, h.tokens.alice, 99999, 'a.txt', 'x'),
      404,
      'record-not-found',
    );
    expectError(
      await h.as(h.tokens.alice, { method: 'GET', url: '/api/v2/batches/99999/files' }),
      404,
      'record-not-found',
    );
    expect(await acmeState(h)).toEqual(before);
  });

  it('keeps other members and other orgs out of a personal batch', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice);
    await putBatchFile(h, h.tokens.alice, id, 'a.txt', 'secret');
    const before = await acmeState(h);
    for (const token of [h.tokens.bob, h.tokens.eve]) {
      expectError(
        await putBatchFile(h, token, id, 'a.txt', 'overwritten'),
        404,
        'record-not-found',
      );
      expectError(await putBatchFile(h, token, id, 'b.txt', 'added'), 404, 'record-not-found');
      expectError(
        await h.as(token, { method: 'GET', url: `/api/v2/batches/${id}/files` }),
        404,
        'record-not-found',
      );
      expectError(
        await h.as(token, { method: 'DELETE', url: `/api/v2/batches/${id}/files/a.txt` }),
        404,
        'record-not-found',
      );
    }
    expect(await acmeState(h)).toEqual(before);
  });

  it('lets members share files through a batch in the shared workspace', async () => {
    h = await startHarness(backend);
    const id = await createBatch(h, h.tokens.alice, { name: 'team', workspace: 'shared' });
    expect((await putBatchFile(h, h.tokens.bob, id, 'bob.txt', 'from bob')).statusCode).toBe(204);
    expect((await putBatchFile(h, h.tokens.robot, id, 'robot.txt', 'beep')).statusCode).toBe(204);
    const names = (await listBatchFiles(h, h.tokens.alice, id)).map((f) => f.name);
    expect(names).toEqual(['bob.txt', 'robot.txt']);
  });
});

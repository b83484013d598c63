/**
 * The behaviour every `Blobs` implementation owes its callers, declared once so the local
 * directory and any later implementation (S3) run the same suite:
 *
 *   blobContract('LocalBlobs', async () => ({ blobs: new LocalBlobs(dir), cleanup }));
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Blobs } from '../../src/blobs/blobs.js';
import { UNSAFE_KEYS, bytes, expectRunboxError, failingAfter, readAll } from './blob-helpers.js';

export interface BlobsUnderTest {
  blobs: Blobs;
  cleanup(): Promise<void>;
}

export function blobContract(name: string, make: () => Promise<BlobsUnderTest>): void {
  describe(`Blobs contract: ${name}`, () => {
    let blobs: Blobs;
    let under: BlobsUnderTest | undefined;
    beforeEach(async () => {
      under = await make();
      blobs = under.blobs;
    });
    afterEach(async () => {
      await under?.cleanup();
      under = undefined;
    });

    const text = async (key: string) => readAll(await blobs.read(key));

    it('writes an object and reads it back whole', async () => {
      expect(await blobs.write('docs/a.txt', bytes('hello ', 'world'))).toEqual({ size: 11 });

      expect(await text('docs/a.txt')).toBe('hello world');
      const stat = await blobs.stat('docs/a.txt');
      expect(stat).toMatchObject({ kind: 'file', size: 11 });
      expect(Number.isFinite(stat?.modifiedAt)).toBe(true);
    });

    it('writes empty and large objects byte for byte', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
      const chunks = [];
      for (let i = 0; i < big.length; i += 65_536) chunks.push(big.subarray(i, i + 65_536));

      expect(await blobs.write('big.bin', Readable.from(chunks))).toEqual({ size: big.length });
      expect(await blobs.write('empty.bin', Readable.from([]))).toEqual({ size: 0 });

      const back: Buffer[] = [];
      for await (const c of await blobs.read('big.bin')) back.push(Buffer.from(c as Uint8Array));
      expect(Buffer.concat(back).equals(big)).toBe(true);
      expect(await text('empty.bin')).toBe('');
      expect(await blobs.stat('empty.bin')).toMatchObject({ kind: 'file', size: 0 });
    });

    it('says a missing object is missing', async () => {
      expect(await blobs.stat('nope.txt')).toBeUndefined();
      expect(await blobs.stat('nope/deeper.txt')).toBeUndefined();
      await expectRunboxError(blobs.read('nope.txt'), 'record-not-found');
      await blobs.write('folder/inside.txt', bytes('x'));
      await expectRunboxError(blobs.read('folder'), 'record-not-found');
    });

    it('reads inclusive byte ranges', async () => {
      await blobs.write('r.txt', bytes('hello world'));

      expect(await readAll(await blobs.read('r.txt', { start: 0, end: 4 }))).toBe('hello');
      expect(await readAll(await blobs.read('r.txt', { start: 6, end: 10 }))).toBe('world');
      expect(await readAll(await blobs.read('r.txt', { start: 10, end: 10 }))).toBe('d');
    });

    it('replaces an object on a second write', async () => {
      await blobs.write('o.txt', bytes('the old, longer content'));
      expect(await blobs.write('o.txt', bytes('new'))).toEqual({ size: 3 });

      expect(await text('o.txt')).toBe('new');
      expect(await blobs.stat('o.txt')).toMatchObject({ size: 3 });
    });

    it('lists the immediate children of a folder, sorted, files and folders', async () => {
      await blobs.write('f/b.txt', bytes('bb'));
      await blobs.write('f/a.txt', bytes('a'));
      await blobs.write('f/Z.txt', bytes('zzz'));
      await blobs.write('f/sub/deep.txt', bytes('d'));
      await blobs.write('other/x.txt', bytes('x'));

      const entries = await blobs.list('f');
      expect(entries.map((e) => [e.name, e.key, e.kind])).toEqual([
        ['Z.txt', 'f/Z.txt', 'file'],
        ['a.txt', 'f/a.txt', 'file'],
        ['b.txt', 'f/b.txt', 'file'],
        ['sub', 'f/sub', 'folder'],
      ]);
      expect(entries.filter((e) => e.kind === 'file').map((e) => e.size)).toEqual([3, 1, 2]);
      expect((await blobs.list('f/sub')).map((e) => e.key)).toEqual(['f/sub/deep.txt']);
      expect(await blobs.list('missing')).toEqual([]);
      expect(await blobs.stat('f')).toMatchObject({ kind: 'folder' });
    });

    it('deletes one object; deleting what is not there succeeds', async () => {
      await blobs.write('d/a.txt', bytes('a'));
      await blobs.write('d/b.txt', bytes('b'));

      await blobs.delete('d/a.txt');
      await blobs.delete('d/a.txt');
      await blobs.delete('never/was.txt');

      expect(await blobs.stat('d/a.txt')).toBeUndefined();
      await expectRunboxError(blobs.read('d/a.txt'), 'record-not-found');
      expect(await text('d/b.txt')).toBe('b');
    });

    it('deletes a folder and everything under it, counting files, idempotently', async () => {
      await blobs.write('p/a.txt', bytes('a'));
      await blobs.write('p/b.txt', bytes('b'));
      await blobs.write('p/sub/c.txt', bytes('c'));
      await blobs.write('pp/sibling.txt', bytes('s'));
      await blobs.write('q/p/keep.txt', bytes('k'));

      expect(await blobs.deletePrefix('p')).toBe(3);
      expect(await blobs.deletePrefix('p')).toBe(0);
      expect(await blobs.deletePrefix('never')).toBe(0);

      expect(await blobs.list('p')).toEqual([]);
      expect(await blobs.stat('p/sub/c.txt')).toBeUndefined();
      // A folder is a whole path segment: `p` does not cover `pp`.
      expect(await text('pp/sibling.txt')).toBe('s');
      expect(await text('q/p/keep.txt')).toBe('k');
    });

    it('a write whose source fails keeps the old content and shows nothing new', async () => {
      await blobs.write('w/existing.txt', bytes('old content'));

      await expect(blobs.write('w/existing.txt', failingAfter('new ', 'partial'))).rejects.toThrow(
        'client went away',
      );
      await expect(blobs.write('w/fresh.txt', failingAfter('partial'))).rejects.toThrow(
        'client went away',
      );

      expect(await text('w/existing.txt')).toBe('old content');
      expect(await blobs.stat('w/fresh.txt')).toBeUndefined();
      expect((await blobs.list('w')).map((e) => e.name)).toEqual(['existing.txt']);
    });

    it('refuses more than maxBytes as payload-too-large and keeps nothing of it', async () => {
      await blobs.write('m/existing.txt', bytes('old'));

      await expectRunboxError(
        blobs.write('m/big.txt', bytes('12345', '678901'), { maxBytes: 10 }),
        'payload-too-large',
      );
      await expectRunboxError(
        blobs.write('m/existing.txt', bytes('12345678901'), { maxBytes: 10 }),
        'payload-too-large',
      );

      expect(await blobs.stat('m/big.txt')).toBeUndefined();
      expect(await text('m/existing.txt')).toBe('old');
      expect(await blobs.write('m/fits.txt', bytes('1234567890'), { maxBytes: 10 })).toEqual({
        size: 10,
      });
    });

    it('refuses a byte count other than exactBytes as invalid-input', async () => {
      await expectRunboxError(
        blobs.write('e/short.txt', bytes('123'), { exactBytes: 4 }),
        'invalid-input',
      );
      await expectRunboxError(
        blobs.write('e/long.txt', bytes('12345'), { exactBytes: 4 }),
        'invalid-input',
      );

      expect(await blobs.list('e')).toEqual([]);
      expect(await blobs.write('e/exact.txt', bytes('12', '34'), { exactBytes: 4 })).toEqual({
        size: 4,
      });
    });

    it('assembles a multipart upload from its parts in order, visible only once complete', async () => {
      const id = await blobs.createMultipart('mp/file.bin');
      const p2 = await blobs.writePart(id, 2, bytes('world'), {});
      const p1 = await blobs.writePart(id, 1, bytes('hello '), {});
      const p3 = await blobs.writePart(id, 3, bytes('!'), { exactBytes: 1 });
      expect(p1.size).toBe(6);
      expect(typeof p1.etag).toBe('string');
      expect(p1.etag).not.toBe(p2.etag);
      expect(await blobs.stat('mp/file.bin')).toBeUndefined();

      const done = await blobs.completeMultipart(id, 'mp/file.bin', [
        { partNum: 1, etag: p1.etag },
        { partNum: 2, etag: p2.etag },
        { partNum: 3, etag: p3.etag },
      ]);

      expect(done).toEqual({ size: 12 });
      expect(await text('mp/file.bin')).toBe('hello world!');
    });

    it('uses the last upload of a part that was sent twice', async () => {
      const id = await blobs.createMultipart('mp/retry.bin');
      await blobs.writePart(id, 1, bytes('garbage that was cut off'), {});
      const p1 = await blobs.writePart(id, 1, bytes('first '), {});
      const p2 = await blobs.writePart(id, 2, bytes('second'), {});

      await blobs.completeMultipart(id, 'mp/retry.bin', [
        { partNum: 1, etag: p1.etag },
        { partNum: 2, etag: p2.etag },
      ]);

      expect(await text('mp/retry.bin')).toBe('first second');
    });

    it('applies the part limits', async () => {
      const id = await blobs.createMultipart('mp/limits.bin');
      await expectRunboxError(
        blobs.writePart(id, 1, bytes('123'), { exactBytes: 5 }),
        'invalid-input',
      );
      await expectRunboxError(
        blobs.writePart(id, 1, bytes('123456'), { maxBytes: 5 }),
        'payload-too-large',
      );
      await expect(blobs.writePart(id, 1, failingAfter('12'), {})).rejects.toThrow(
        'client went away',
      );
      await blobs.abortMultipart(id, 'mp/limits.bin');
    });

    it('an aborted upload leaves no object and takes no more parts', async () => {
      const id = await blobs.createMultipart('mp/aborted.bin');
      const p1 = await blobs.writePart(id, 1, bytes('data'), {});

      await blobs.abortMultipart(id, 'mp/aborted.bin');
      await blobs.abortMultipart(id, 'mp/aborted.bin');

      await expect(blobs.writePart(id, 2, bytes('more'), {})).rejects.toThrow();
      await expect(
        blobs.completeMultipart(id, 'mp/aborted.bin', [{ partNum: 1, etag: p1.etag }]),
      ).rejects.toThrow();
      expect(await blobs.stat('mp/aborted.bin')).toBeUndefined();
      expect(await blobs.list('mp')).toEqual([]);
    });

    it('refuses keys that could escape the storage root', async () => {
      await blobs.write('safe/inside.txt', bytes('x'));
      for (const key of UNSAFE_KEYS) {
        const why = `key ${JSON.stringify(key)}`;
        await expect(blobs.write(key, bytes('x')), why).rejects.toThrow();
        await expect(blobs.read(key), why).rejects.toThrow();
        await expect(blobs.stat(key), why).rejects.toThrow();
        await expect(blobs.list(key), why).rejects.toThrow();
        await expect(blobs.delete(key), why).rejects.toThrow();
        await expect(blobs.deletePrefix(key), why).rejects.toThrow();
        await expect(blobs.createMultipart(key), why).rejects.toThrow();
      }
      const id = await blobs.createMultipart('safe/mp.bin');
      const p1 = await blobs.writePart(id, 1, bytes('x'), {});
      await expect(
        blobs.completeMultipart(id, '../escape.bin', [{ partNum: 1, etag: p1.etag }]),
      ).rejects.toThrow();
      // Nothing was deleted by the refused deletes.
      expect(await text('safe/inside.txt')).toBe('x');
    });
  });
}

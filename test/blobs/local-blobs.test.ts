import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { LocalBlobs } from '../../src/blobs/local-blobs.js';
import { blobContract } from './blob-contract.js';
import { UNSAFE_KEYS, bytes, expectRunboxError, failingAfter, readAll } from './blob-helpers.js';

/** A fresh directory, removed afterwards unless the test failed. */
async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'runbox-blobs-'));
  let failed = false;
  onTestFailed(() => {
    failed = true;
    console.error(`kept for inspection: ${dir}`);
  });
  return {
    dir,
    cleanup: async () => {
      if (!failed) await rm(dir, { recursive: true, force: true });
    },
  };
}

blobContract('LocalBlobs', async () => {
  const { dir, cleanup } = await tempDir();
  return { blobs: new LocalBlobs(dir), cleanup };
});

/** Files (not folders) directly under `dir`; none when it does not exist. */
async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Polls until `check` holds; fails after a generous deadline. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('LocalBlobs on disk', () => {
  let base: string;
  let root: string;
  let blobs: LocalBlobs;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir: base, cleanup } = await tempDir());
    root = join(base, 'root');
    blobs = new LocalBlobs(root);
  });
  afterEach(() => cleanup());

  it('leaves no temp files behind after failed writes', async () => {
    await blobs.write('a.txt', bytes('old'));

    await expect(blobs.write('a.txt', failingAfter('par', 'tial'))).rejects.toThrow();
    await expectRunboxError(
      blobs.write('b.txt', bytes('123456'), { maxBytes: 5 }),
      'payload-too-large',
    );
    await expectRunboxError(blobs.write('c.txt', bytes('12'), { exactBytes: 5 }), 'invalid-input');
    const id = await blobs.createMultipart('d.bin');
    await expect(blobs.writePart(id, 1, failingAfter('x'), {})).rejects.toThrow();
    await expectRunboxError(
      blobs.writePart(id, 1, bytes('123456'), { maxBytes: 5 }),
      'payload-too-large',
    );

    expect(await filesIn(join(root, 'tmp'))).toEqual([]);
    expect(await readAll(await blobs.read('a.txt'))).toBe('old');
  });

  it('creates nothing outside its root for unsafe keys', async () => {
    for (const key of UNSAFE_KEYS) {
      await blobs.write(key, bytes('x')).catch(() => undefined);
      await blobs.deletePrefix(key).catch(() => undefined);
    }
    expect((await readdir(base)).filter((n) => n !== 'root')).toEqual([]);
    expect(existsSync(join(root, 'escape.txt'))).toBe(false);
  });

  it('two instances over one shared directory: writes racing deletions of their folder land whole', async () => {
    const other = new LocalBlobs(root);
    const content = (i: number) => `file number ${i} `.repeat(200);
    let writing = true;
    const writer = (async () => {
      try {
        for (let i = 0; i < 300; i++)
          await blobs.write(`shared/f/g${i % 3}/x-${i}`, bytes(content(i)));
      } finally {
        writing = false;
      }
    })();
    const deleter = (async () => {
      let n = 0;
      while (writing) n += await other.deletePrefix('shared/f');
      return n;
    })();

    const outcomes = await Promise.allSettled([writer, deleter]);

    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    for (const g of await other.list('shared/f')) {
      for (const entry of await other.list(g.key)) {
        const i = Number(entry.name.slice('x-'.length));
        expect(await readAll(await other.read(entry.key))).toBe(content(i));
      }
    }
    expect(await filesIn(join(root, 'tmp'))).toEqual([]);
  });

  describe('sweepTemp', () => {
    const HOUR = 3_600_000;
    const NOW = Date.UTC(2030, 0, 1);

    async function leftover(name: string, ageMs: number): Promise<string> {
      const file = join(root, 'tmp', name);
      await mkdir(join(root, 'tmp'), { recursive: true });
      await writeFile(file, 'half a file');
      const t = new Date(NOW - ageMs);
      await utimes(file, t, t);
      return file;
    }

    it('removes temp files older than the threshold and keeps newer ones', async () => {
      await leftover('killed-mid-write-1', 3 * HOUR);
      await leftover('killed-mid-write-2', 2 * HOUR);
      await leftover('in-progress', 10 * 60_000);

      expect(await blobs.sweepTemp(HOUR, NOW)).toBe(2);

      expect(await filesIn(join(root, 'tmp'))).toEqual(['in-progress']);
      expect(await blobs.sweepTemp(HOUR, NOW)).toBe(0);
    });

    it('leaves objects and abandoned multipart uploads alone', async () => {
      await blobs.write('kept.txt', bytes('object'));
      const id = await blobs.createMultipart('mp.bin');
      await blobs.writePart(id, 1, bytes('part one'), {});
      const old = new Date(NOW - 100 * HOUR);
      await utimes(join(root, 'multipart', id), old, old);
      await utimes(join(root, 'multipart', id, '1'), old, old);
      await leftover('stale', 100 * HOUR);

      expect(await blobs.sweepTemp(HOUR, NOW)).toBe(1);

      expect(await readAll(await blobs.read('kept.txt'))).toBe('object');
      await blobs.completeMultipart(id, 'mp.bin', [{ partNum: 1 }]);
      expect(await readAll(await blobs.read('mp.bin'))).toBe('part one');
    });

    it('removes a folder a deletion left in tmp/ when its process died', async () => {
      const doomed = join(root, 'tmp', 'abc.deleting');
      await mkdir(join(doomed, 'sub'), { recursive: true });
      await writeFile(join(doomed, 'sub', 'f.txt'), 'x');
      const old = new Date(NOW - 2 * HOUR);
      await utimes(doomed, old, old);

      expect(await blobs.sweepTemp(HOUR, NOW)).toBe(1);

      expect(existsSync(doomed)).toBe(false);
    });

    it('has nothing to do before the first write', async () => {
      expect(await blobs.sweepTemp(HOUR, NOW)).toBe(0);
    });

    it('makes a write whose temp file it swept fail, rather than keep part of it', async () => {
      await blobs.write('target.txt', bytes('old'));
      let swept: number | undefined;
      const source = (async function* () {
        yield Buffer.from('first half ');
        await until(async () => (await filesIn(join(root, 'tmp'))).length > 0, 'the temp file');
        // A sweep with a zero threshold sees this write's file as abandoned.
        swept = await blobs.sweepTemp(0, Date.now() + HOUR);
        yield Buffer.from('second half');
      })();

      await expect(blobs.write('target.txt', source)).rejects.toThrow();

      expect(swept).toBe(1);

      expect(await readAll(await blobs.read('target.txt'))).toBe('old');
      expect(await filesIn(join(root, 'tmp'))).toEqual([]);
    });
  });
});

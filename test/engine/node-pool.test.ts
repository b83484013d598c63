import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOT_STARTED, type FileTask } from '../../src/engine/runner/file-task.js';
import { fileTask } from './file-tasks.js';
import { NodePool } from '../../src/engine/runner/node-pool.js';

/** A real app package on disk whose behaviour depends on the input file's name. */
const APP = `
export default async function (file, ctx) {
  const text = await file.text();
  if (file.name === 'throw.txt') throw new Error('bad invoice');
  if (file.name === 'exit.txt') process.exit(3);
  if (file.name === 'oom.txt') { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); }
  if (file.name === 'hang.txt') { ctx.log('waiting'); await new Promise(() => {}); }
  if (file.name === 'deaf.txt') { for (;;) {} }
  if (file.name === 'abortable.txt') {
    ctx.log('waiting');
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    ctx.log('saw abort:', ctx.signal.reason.message);
    return [];
  }
  console.log('processing', file.name);
  ctx.log('keys', JSON.stringify(ctx.keys));
  ctx.progress(0.5);
  return [{ class_name: 'note', page_numbers: [1], fields: { text, pid: process.pid, size: file.size } }];
}
`;

let dir: string;
let pool: NodePool | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbox-pool-'));
  writeFileSync(join(dir, 'index.mjs'), APP);
});
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const task = (name: string, over: Partial<FileTask> = {}) =>
  fileTask(dir, name, `contents of ${name}`, over);

const makePool = (over: Partial<ConstructorParameters<typeof NodePool>[0]> = {}) =>
  (pool = new NodePool({
    packageDir: dir,
    entry: 'index.mjs',
    memoryMb: 64,
    concurrency: 2,
    graceMs: 500,
    ...over,
  }));

describe('NodePool', () => {
  it('runs the default export per file and returns its documents, logs and progress', async () => {
    const p = makePool();
    const progress: number[] = [];
    const t = task('a.txt', { onProgress: (f) => progress.push(f) });
    const out = await p.run(t);
    expect(out).toMatchObject({
      ok: true,
      documents: [{ class_name: 'note', fields: { text: 'contents of a.txt', size: 17 } }],
    });
    expect(t.logs).toEqual(['processing a.txt', 'keys {"currency":"EUR"}']);
    expect(progress).toEqual([0.5]);
  });

  it('keeps its processes warm across files', async () => {
    const p = makePool({ concurrency: 1 });
    const first = await p.run(task('a.txt'));
    const second = await p.run(task('b.txt'));
    const pid = (o: typeof first) =>
      o.ok ? (o.documents as { fields: { pid: number } }[])[0]!.fields.pid : 0;
    expect(pid(first)).toBeGreaterThan(0);
    expect(pid(second)).toBe(pid(first));
  });

  it('fails only the file whose code throws', async () => {
    const p = makePool();
    const [bad, good] = await Promise.all([p.run(task('throw.txt')), p.run(task('ok.txt'))]);
    expect(bad).toEqual({ ok: false, reason: 'error', error: 'bad invoice', outputUnused: true });
    expect(good.ok).toBe(true);
  });

  it('fails a file whose process exits, and replaces the process', async () => {
    const p = makePool({ concurrency: 1 });
    const crashed = await p.run(task('exit.txt'));
    expect(crashed).toMatchObject({ ok: false, reason: 'crash' });
    expect((await p.run(task('after.txt'))).ok).toBe(true);
  });

  it('fails a file that runs out of memory with a message that says so', async () => {
    const p = makePool({ concurrency: 1, memoryMb: 48 });
    const out = await p.run(task('oom.txt'));
    expect(out).toMatchObject({ ok: false, reason: 'out-of-memory' });
    expect((await p.run(task('after.txt'))).ok).toBe(true);
  });

  it('times out a hung file: abort first, then kill after the grace period', async () => {
    const p = makePool({ concurrency: 1, graceMs: 200 });
    const out = await p.run(task('deaf.txt', { deadline: Date.now() + 300 }));
    expect(out).toEqual({ ok: false, reason: 'timeout', error: 'The file timed out.' });
    expect((await p.run(task('after.txt'))).ok).toBe(true);
  });

  it('delivers cancellation to the app as an abort signal', async () => {
    const p = makePool();
    const controller = new AbortController();
    const logs: string[] = [];
    const t = task('abortable.txt', {
      signal: controller.signal,
      onLog: (l) => {
        logs.push(l);
        if (l === 'waiting') controller.abort();
      },
    });
    const out = await p.run(t);
    expect(out).toEqual({ ok: false, reason: 'cancelled', error: 'The run was cancelled.' });
    expect(logs).toEqual(['waiting', 'saw abort: The run was cancelled.']);
  });

  it('kills a cancelled file that ignores the abort signal', async () => {
    const p = makePool({ graceMs: 200 });
    const controller = new AbortController();
    const t = task('hang.txt', {
      signal: controller.signal,
      onLog: (l) => l === 'waiting' && controller.abort(),
    });
    expect(await p.run(t)).toMatchObject({ ok: false, reason: 'cancelled' });
  });

  it('runs at most `concurrency` files at once', async () => {
    const p = makePool({ concurrency: 2 });
    const outs = await Promise.all(['1', '2', '3', '4', '5'].map((n) => p.run(task(`${n}.txt`))));
    const pids = new Set(
      outs.map((o) => (o.ok ? (o.documents as { fields: { pid: number } }[])[0]!.fields.pid : 0)),
    );
    expect(outs.every((o) => o.ok)).toBe(true);
    expect(pids.size).toBeLessThanOrEqual(2);
  });

  it('leaves a waiting file unstarted once its worker stops starting files, and finishes the running one', async () => {
    const p = makePool({ concurrency: 1 });
    let stopping = false;
    const running = task('a.txt');
    const waiting = task('b.txt', { mayStart: () => !stopping });
    const first = p.run(running);
    const second = p.run(waiting);
    stopping = true;
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toEqual(NOT_STARTED);
    expect(waiting.logs).toEqual([]);
  });

  it('fails a file whose input is gone without calling the app', async () => {
    const t = task('gone.txt');
    rmSync(t.file.path);
    expect(await makePool().run(t)).toMatchObject({
      ok: false,
      reason: 'error',
      error: 'The input file is no longer stored.',
    });
    expect(t.logs).toEqual([]);
  });

  it('makes the output folder when the app first uses it, and says when it did not', async () => {
    writeFileSync(
      join(dir, 'index.mjs'),
      `import { writeFileSync } from 'node:fs';
       export default async (file, ctx) => {
         if (file.name === 'write.txt') writeFileSync(ctx.outputDir + '/out.json', '{}');
         return [];
       };`,
    );
    const p = makePool();
    const unused = join(dir, 'out', 'unused');
    const used = join(dir, 'out', 'used');
    // The pool learns whether there is a folder to clean up.
    expect(await p.run(task('skip.txt', { outputDir: unused }))).toEqual({
      ok: true,
      documents: [],
      outputUnused: true,
    });
    expect(existsSync(unused)).toBe(false);
    expect(await p.run(task('write.txt', { outputDir: used }))).toEqual({
      ok: true,
      documents: [],
    });
    expect(readFileSync(join(used, 'out.json'), 'utf8')).toBe('{}');
  });

  it('does not pass the server environment to app code', async () => {
    writeFileSync(
      join(dir, 'index.mjs'),
      'export default async () => [{ fields: { db: process.env.RUNBOX_DATABASE_URL ?? null } }];',
    );
    process.env.RUNBOX_DATABASE_URL = 'postgres://secret@db/prod';
    try {
      const out = await makePool().run(task('a.txt'));
      expect(out).toMatchObject({ ok: true, documents: [{ fields: { db: null } }] });
    } finally {
      delete process.env.RUNBOX_DATABASE_URL;
    }
  });
});

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandRunner } from '../../src/engine/runner/command-runner.js';
import { NOT_STARTED, type FileTask } from '../../src/engine/runner/file-task.js';
import { fileTask } from './file-tasks.js';

/** A real executable: a shell script whose behaviour depends on the input file's name. */
const SCRIPT = `#!/bin/sh
case "$RUNBOX_INPUT_NAME" in
  fail.txt) echo "cannot read invoice" >&2; exit 4 ;;
  garbage.txt) echo "not json" ;;
  output.txt) echo done > "$RUNBOX_OUTPUT_DIR/out.txt" && echo '[]' ;;
  slow.txt) echo started >&2; sleep 30 ;;
  *) echo "working on $RUNBOX_INPUT_NAME" >&2
     printf '[{"class_name":"note","fields":{"words":%s,"keys":%s}}]' "$(wc -w < "$RUNBOX_INPUT_FILE")" "$RUNBOX_KEYS" ;;
esac
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbox-cmd-'));
  writeFileSync(join(dir, 'run.sh'), SCRIPT);
  chmodSync(join(dir, 'run.sh'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runner = (concurrency = 2) =>
  new CommandRunner({ packageDir: dir, entry: 'run.sh', concurrency, graceMs: 300 });

const task = (name: string, over: Partial<FileTask> = {}) =>
  fileTask(dir, name, 'three little words', over);

describe('CommandRunner', () => {
  it('runs the entry per file with the documented environment and parses stdout', async () => {
    const t = task('a.txt');
    expect(await runner().run(t)).toEqual({
      ok: true,
      documents: [{ class_name: 'note', fields: { words: 3, keys: { currency: 'EUR' } } }],
    });
    expect(t.logs).toEqual(['working on a.txt']);
  });

  it('leaves a waiting file unstarted once its worker stops starting files, and finishes the running one', async () => {
    const r = runner(1);
    let stopping = false;
    const running = task('a.txt');
    const waiting = task('b.txt', { mayStart: () => !stopping });
    const first = r.run(running);
    const second = r.run(waiting);
    stopping = true;
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toEqual(NOT_STARTED);
    expect(waiting.logs).toEqual([]);
  });

  it('fails a file whose input is gone without starting the command', async () => {
    const t = task('gone.txt');
    rmSync(t.file.path);
    expect(await runner().run(t)).toMatchObject({
      ok: false,
      error: 'The input file is no longer stored.',
    });
    expect(t.logs).toEqual([]);
  });

  it('gives the command an existing output folder', async () => {
    const outputDir = join(dir, 'out', '0');
    expect(await runner().run(task('output.txt', { outputDir }))).toEqual({
      ok: true,
      documents: [],
    });
    expect(readFileSync(join(outputDir, 'out.txt'), 'utf8')).toBe('done\n');
  });

  it('fails the file on a non-zero exit, with the last stderr line', async () => {
    const t = task('fail.txt');
    expect(await runner().run(t)).toEqual({
      ok: false,
      reason: 'error',
      error: 'The app exited with code 4: cannot read invoice',
    });
    expect(t.logs).toEqual(['cannot read invoice']);
  });

  it('fails the file when stdout is not JSON', async () => {
    expect(await runner().run(task('garbage.txt'))).toMatchObject({ ok: false, reason: 'error' });
  });

  it('kills a command that runs past its deadline', async () => {
    const out = await runner().run(task('slow.txt', { deadline: Date.now() + 200 }));
    expect(out).toEqual({ ok: false, reason: 'timeout', error: 'The file timed out.' });
  });

  it('stops a command when the run is cancelled', async () => {
    const controller = new AbortController();
    const t = task('slow.txt', {
      signal: controller.signal,
      onLog: (l) => l === 'started' && controller.abort(),
    });
    expect(await runner().run(t)).toMatchObject({ ok: false, reason: 'cancelled' });
  });

  it('runs every file even when more arrive than its concurrency', async () => {
    const r = runner(1);
    const outs = await Promise.all(['1', '2', '3'].map((n) => r.run(task(`${n}.txt`))));
    expect(outs.map((o) => o.ok)).toEqual([true, true, true]);
  });
});

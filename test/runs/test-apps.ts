/**
 * Small apps for the runs suites, written into temp folders: a node app whose behaviour
 * depends on the input file's name, and a command app.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const written = new Set<string>();

/** Removes a folder `writeApp` made (once it is packed); leaves any other folder alone. */
export function discardTestApp(dir: string): void {
  if (written.delete(dir)) rmSync(dir, { recursive: true, force: true });
}

/** Writes a package folder: the manifest plus `files` (name → content; executable when asked). */
export function writeApp(
  manifest: Record<string, unknown>,
  files: Record<string, string>,
  executable: string[] = [],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-app-'));
  written.add(dir);
  writeFileSync(join(dir, 'runbox.app.json'), JSON.stringify(manifest, null, 2));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
    if (executable.includes(name)) chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/**
 * A node app whose behaviour depends on the file name:
 * `throw` throws, `exit` kills its own process, `hang` never returns and ignores the abort
 * signal, `slow` logs "started" and waits for the abort signal (logging that it saw it), `gate`
 * logs "waiting at gate" and finishes once the file named by key `gate` exists, `log` logs
 * three lines; anything else returns a document with the file's word count and name.
 */
export const NODE_APP_SOURCE = `
import { existsSync } from 'node:fs';
export default async function (file, ctx) {
  const name = file.name;
  if (name.includes('throw')) throw new Error('boom in ' + name);
  if (name.includes('exit')) process.exit(3);
  if (name.includes('hang')) { ctx.log('hanging on ' + name); await new Promise(() => {}); }
  if (name.includes('slow')) {
    ctx.log('started ' + name);
    await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => {
      ctx.log('abort seen by ' + name + ': ' + (ctx.signal.reason?.message ?? 'aborted'));
      reject(new Error('stopped'));
    }, { once: true }));
  }
  if (name.includes('gate')) {
    ctx.log('waiting at gate ' + name);
    while (!existsSync(ctx.keys.gate)) {
      if (ctx.signal.aborted) throw new Error('aborted at gate');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  if (name.includes('log')) for (const i of [1, 2, 3]) ctx.log('line ' + i + ' of ' + name);
  const text = await file.text();
  return [{ class_name: 'Note', page_numbers: [1], fields: {
    'word count': { value: text.split(/\\s+/).filter(Boolean).length, confidence: 0.75 },
    'file name': name,
  } }];
}
`;

export function nodeApp(name = 'probe', version = '1.0.0', extra: Record<string, unknown> = {}) {
  return writeApp(
    {
      name,
      version,
      runtime: 'node',
      entry: 'index.mjs',
      concurrency: 4,
      keys: { gate: { type: 'string', default: '/nonexistent' } },
      fields: [{ name: 'word count', type: 'NUMBER' }, { name: 'file name' }],
      ...extra,
    },
    { 'index.mjs': NODE_APP_SOURCE },
  );
}

/** A command app: fails (exit 2, message on stderr) for names containing `fail`, else counts bytes. */
export function commandApp(name = 'sizer', version = '1.0.0') {
  const script = `#!/bin/sh
case "$RUNBOX_INPUT_NAME" in
  *fail*) echo "refusing $RUNBOX_INPUT_NAME" >&2; exit 2 ;;
esac
echo "sizing $RUNBOX_INPUT_NAME" >&2
printf '[{"class_name":"Size","page_numbers":[1],"fields":{"size in bytes":%s}}]' "$(wc -c < "$RUNBOX_INPUT_FILE" | tr -d ' ')"
`;
  return writeApp(
    { name, version, runtime: 'command', entry: 'bin/run.sh' },
    { 'bin/run.sh': script },
    ['bin/run.sh'],
  );
}

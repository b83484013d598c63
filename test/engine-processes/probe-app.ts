/**
 * The probe app: a node app that appends one line per event to a shared file
 * (`start|end <run id> <file name> <worker pid>`), so a test can count executions per file
 * across processes and tell which worker ran what. App code runs in a child of the worker, so
 * the worker's pid is its ppid. Key `delay_ms` makes it slow (it stops early on the abort
 * signal, and logs that it saw it); key `exec_log` names the shared file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';

const PROBE_SOURCE = `
import { appendFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

// Read once, when the worker starts this process: after a crash of the worker it changes.
const WORKER = process.ppid;
// Runbox's app host keeps running after its worker died; this app stops with its worker.
process.on('disconnect', () => process.exit(0));

export default async function (file, ctx) {
  // The output folder is <work>/<run id>/<file index>.
  const runId = basename(dirname(ctx.outputDir));
  const note = (what) => appendFileSync(ctx.keys.exec_log, what + ' ' + runId + ' ' + file.name + ' ' + WORKER + '\\n');
  note('start');
  ctx.log('started ' + file.name + ' on worker ' + WORKER);
  const ms = Number(ctx.keys.delay_ms);
  if (ms > 0) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        ctx.log('abort seen by ' + file.name + ': ' + (ctx.signal.reason?.message ?? 'aborted'));
        reject(new Error('stopped'));
      }, { once: true });
    });
  }
  note('end');
  return [{ class_name: 'Probe', page_numbers: [1], fields: { file: file.name, worker: String(WORKER) } }];
}
`;

/** The probe app's package as a tar.gz, packed the way a user would (`tar czf`). */
export async function probePackage(concurrency: number): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-probe-'));
  const manifest = {
    name: 'probe',
    version: '1.0.0',
    runtime: 'node',
    entry: 'index.mjs',
    concurrency,
    keys: {
      exec_log: { type: 'string', default: '/dev/null' },
      delay_ms: { type: 'number', default: 0 },
    },
    fields: [{ name: 'file' }, { name: 'worker' }],
  };
  writeFileSync(join(dir, 'runbox.app.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'index.mjs'), PROBE_SOURCE);
  const chunks: Buffer[] = [];
  try {
    for await (const c of tar.c({ gzip: true, cwd: dir, portable: true }, ['.'])) {
      chunks.push(Buffer.from(c as Uint8Array));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return Buffer.concat(chunks);
}

export interface Execution {
  event: 'start' | 'end';
  runId: string;
  file: string;
  worker: number;
}

/** Every line the probe app wrote so far ([] before the first). */
export function executions(file: string): Execution[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [event, runId, name, worker] = line.split(' ');
      return {
        event: event as Execution['event'],
        runId: runId!,
        file: name!,
        worker: Number(worker),
      };
    });
}

/**
 * Shared by the runs suites: packing and publishing apps, small test apps whose behaviour
 * depends on the input file's name, batches with files, starting runs and waiting for them,
 * hand-built archives (tar.gz and zip) for the refusals, and streaming over a real socket.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import * as tar from 'tar';
import { expect } from 'vitest';
import { EXAMPLES_DIR, publishExamples } from '../../src/services/example-apps.js';
import { waitFor, type Harness } from '../helpers/harness.js';

export const OCTET = { 'content-type': 'application/octet-stream' } as const;
export const TERMINAL = ['COMPLETE', 'FAILED', 'CANCELLED'] as const;
export const SAMPLES_DIR = join(EXAMPLES_DIR, 'invoice-extractor', 'samples');

export interface RunObject {
  id: string;
  status: string;
  start_timestamp: number;
  finish_timestamp: number | null;
  msg: string | null;
  batch_id: number | null;
  input_dir: string | null;
  app_id: string | null;
  deployment_id: string | null;
  tags: string[] | null;
}

export interface ResultField {
  field_name: string;
  value: string;
  type: string;
  error_msg?: string;
  confidence?: { model: number | null; ocr: number | null };
}

export interface ResultsBody {
  id: string;
  status: string;
  message: string | null;
  batch_id?: string;
  files: {
    original_file_name: string;
    input_file_path: string;
    documents: { class_name: string | null; page_numbers: number[]; fields: ResultField[] }[];
  }[];
  keys: { custom: Record<string, unknown> };
  has_more: boolean;
}

/** A fresh temp folder (removed with the OS temp dir; tiny). */
export const tempDir = (prefix = 'runbox-app-') => mkdtempSync(join(tmpdir(), prefix));

/** A folder packed the way a user would (`tar czf`), as bytes. */
export async function packDir(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tar.c({ gzip: true, cwd: dir, portable: true }, ['.'])) {
    chunks.push(Buffer.from(c as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** `POST /api/v2/apps` with a package: a folder (packed here) or archive bytes. */
export async function publish(
  h: Harness,
  token: string,
  pkg: string | Buffer,
): Promise<LightMyRequestResponse> {
  const payload = typeof pkg === 'string' ? await packDir(pkg) : pkg;
  return h.as(token, {
    method: 'POST',
    url: '/api/v2/apps',
    payload,
    headers: { 'content-type': 'application/gzip' },
  });
}

export interface Published {
  app_id: string;
  version: string;
  manifest: Record<string, unknown>;
}

export async function publishOk(h: Harness, token: string, pkg: string | Buffer) {
  const res = await publish(h, token, pkg);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Published>();
}

/** Publishes examples/ as alice through the server's own `publishExamples`. */
export async function publishExampleApps(h: Harness): Promise<Record<string, string>> {
  const p = await h.runbox.services.auth.authenticate(`Bearer ${h.tokens.alice}`, undefined);
  const published = await publishExamples(h.runbox.services.apps, p);
  return Object.fromEntries(published.map((v) => [v.manifest.name, v.app_id]));
}

/** Writes a package folder: the manifest plus `files` (name → content; executable when asked). */
export function writeApp(
  manifest: Record<string, unknown>,
  files: Record<string, string>,
  executable: string[] = [],
): string {
  const dir = tempDir();
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

export async function createBatch(
  h: Harness,
  token: string,
  files: Record<string, string | Buffer>,
  body: Record<string, unknown> = { name: 'input' },
): Promise<number> {
  const res = await h.as(token, { method: 'POST', url: '/api/v2/batches', payload: body });
  expect(res.statusCode, res.body).toBe(200);
  const id = res.json<{ id: number }>().id;
  for (const [name, content] of Object.entries(files)) {
    const put = await h.as(token, {
      method: 'PUT',
      url: `/api/v2/batches/${id}/files/${encodeURIComponent(name)}`,
      payload: Buffer.from(content),
      headers: OCTET,
    });
    expect(put.statusCode, put.body).toBe(204);
  }
  return id;
}

/** `PUT /api/v2/files/<path>` for each file under a folder of alice's (or `workspace`'s) drive. */
export async function writeFolder(
  h: Harness,
  token: string,
  folder: string,
  files: Record<string, string>,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const res = await h.as(token, {
      method: 'PUT',
      url: `/api/v2/files/${encodeURI(`${folder}/${name}`)}`,
      payload: Buffer.from(content),
      headers: OCTET,
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
  }
}

export function startRun(h: Harness, token: string, body: Record<string, unknown>) {
  return h.as(token, { method: 'POST', url: '/api/v2/apps/runs', payload: body });
}

export async function startRunOk(h: Harness, token: string, body: Record<string, unknown>) {
  const res = await startRun(h, token, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<RunObject>();
}

export async function getRun(h: Harness, token: string, id: string) {
  return h.as(token, { method: 'GET', url: `/api/v2/apps/runs/${id}` });
}

/** Polls the run until its status is one of `statuses` (default: terminal). */
export async function waitForRun(
  h: Harness,
  token: string,
  id: string,
  statuses: readonly string[] = TERMINAL,
): Promise<RunObject> {
  return waitFor(async () => {
    const res = await getRun(h, token, id);
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json<RunObject>();
    return statuses.includes(run.status) ? run : undefined;
  }, `run ${id} to reach ${statuses.join('|')}`);
}

export async function getLogs(h: Harness, token: string, id: string): Promise<string> {
  const res = await h.as(token, { method: 'GET', url: `/api/v2/apps/runs/${id}/logs` });
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
}

/** Polls the run's log until it contains `text`; returns the log. */
export function waitForLog(h: Harness, token: string, id: string, text: string): Promise<string> {
  return waitFor(async () => {
    const log = await getLogs(h, token, id);
    return log.includes(text) ? log : undefined;
  }, `"${text}" in the log of run ${id}`);
}

export async function results(h: Harness, token: string, id: string, query = '') {
  const res = await h.as(token, {
    method: 'GET',
    url: `/api/v2/apps/runs/${id}/results${query}`,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ResultsBody>();
}

/** Every run alice's org has in the last day (what a user listing runs would see). */
export async function listRuns(h: Harness, token: string, query = '') {
  const res = await h.as(token, { method: 'GET', url: `/api/v2/apps/runs${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ runs: RunObject[] }>().runs;
}

/** A document's fields as `{ name: value }`. */
export const fieldValues = (fields: ResultField[]) =>
  Object.fromEntries(fields.map((f) => [f.field_name, f.value]));

export function expectError(res: LightMyRequestResponse, status: number, type: string): string {
  const body = res.json<{ type?: string; message?: unknown }>();
  expect({ status: res.statusCode, type: body.type }, res.body).toEqual({ status, type });
  expect(typeof body.message).toBe('string');
  return body.message as string;
}

// ---- archives built by hand, to say exactly what is inside ----

export interface ArchiveEntry {
  name: string;
  data?: string;
  type?: 'file' | 'dir' | 'symlink';
  linkname?: string;
  mode?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar tar.gz with exactly these entries (names and link targets unchecked). */
export function tarGz(entries: ArchiveEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.type === 'file' || e.type === undefined ? (e.data ?? '') : '');
    const header = Buffer.alloc(512);
    header.write(e.name, 0, 100, 'utf8');
    header.write(octal(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 8), 100);
    header.write(octal(0, 8), 108);
    header.write(octal(0, 8), 116);
    header.write(octal(data.length, 12), 124);
    header.write(octal(0, 12), 136);
    header.write('        ', 148);
    header.write(e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0', 156);
    if (e.linkname) header.write(e.linkname, 157, 100, 'utf8');
    header.write('ustar\u000000', 257, 'binary');
    let sum = 0;
    for (const b of header) sum += b;
    header.write(octal(sum, 7) + ' ', 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** A zip (stored, no compression) with exactly these files. */
export function zip(entries: { name: string; data: string; mode?: number }[]): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = Buffer.from(e.data);
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below is read
    ch.writeUInt16LE(20, 6);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((0o100000 | (e.mode ?? 0o644)) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    local.push(lh, name, data);
    central.push(ch, name);
    offset += lh.length + name.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cd, end]);
}

// ---- a real socket, for streams ----

export async function listen(h: Harness): Promise<number> {
  await h.runbox.app.listen({ port: 0, host: '127.0.0.1' });
  return (h.runbox.app.server.address() as AddressInfo).port;
}

/**
 * GETs `path` over a socket and calls `onText` with everything received so far after each
 * chunk; resolves with the status, headers and whole body once the server ends the response.
 */
export function stream(
  port: number,
  token: string,
  path: string,
  onText: (soFar: string) => void = () => undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        headers: { authorization: `Bearer ${token}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          onText(body);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

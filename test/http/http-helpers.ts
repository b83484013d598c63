/**
 * Small helpers shared by the HTTP suites: creating batches and files through the API, reading
 * what storage really holds, and snapshotting everything a user could see so a refused request
 * can be shown to have changed nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Harness } from '../helpers/harness.js';

export const OCTET = { 'content-type': 'application/octet-stream' } as const;

/** `<org>/<workspace>/fs/Runbox Drive` as it goes in a URL. */
export const drive = (workspace: string, org = 'acme') => `${org}/${workspace}/fs/Runbox%20Drive`;

export function expectError(res: LightMyRequestResponse, status: number, type: string): void {
  expect({ status: res.statusCode, type: res.json<{ type?: string }>().type }).toEqual({
    status,
    type,
  });
  expect(typeof res.json<{ message?: unknown }>().message).toBe('string');
}

export async function createBatch(
  h: Harness,
  token: string,
  body: Record<string, unknown> = { name: 'batch' },
): Promise<number> {
  const res = await h.as(token, { method: 'POST', url: '/api/v2/batches', payload: body });
  expect(res.statusCode, res.payload).toBe(200);
  return res.json<{ id: number }>().id;
}

export function putBatchFile(
  h: Harness,
  token: string,
  batchId: number,
  name: string,
  bytes: Buffer | string,
): Promise<LightMyRequestResponse> {
  return h.as(token, {
    method: 'PUT',
    url: `/api/v2/batches/${batchId}/files/${encodeURIComponent(name)}`,
    payload: Buffer.from(bytes),
    headers: OCTET,
  });
}

export interface FileNode {
  full_path: string;
  name: string;
  metadata: { node_type: string; size: number; modified_timestamp: number };
}

/** Every file of a batch, following the cursor to the end. */
export async function listBatchFiles(
  h: Harness,
  token: string,
  batchId: number,
  pageSize = 1000,
): Promise<FileNode[]> {
  const all: FileNode[] = [];
  let token_ = '';
  for (;;) {
    const q = new URLSearchParams({ page_size: String(pageSize) });
    if (token_) q.set('start_token', token_);
    const res = await h.as(token, {
      method: 'GET',
      url: `/api/v2/batches/${batchId}/files?${q.toString()}`,
    });
    expect(res.statusCode, res.payload).toBe(200);
    const body = res.json<{ nodes: FileNode[]; next_page_token: string; has_more: boolean }>();
    all.push(...body.nodes);
    if (!body.has_more) return all;
    token_ = body.next_page_token;
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** The bytes storage holds for a batch file, read through its row; undefined when there is no row. */
export async function storedBatchFile(
  h: Harness,
  batchId: number,
  name: string,
): Promise<{ key: string; bytes: Buffer } | undefined> {
  const row = await h.runbox.store.batches.getFile(batchId, name);
  if (!row) return undefined;
  return { key: row.blob_key, bytes: await readAll(await h.runbox.blobs.read(row.blob_key)) };
}

/** Every file under `<dataDir>/blobs[/sub]`, as `relative/path sha1`, sorted. */
export function storageFiles(h: Harness, sub = ''): string[] {
  const root = join(h.config.dataDir, 'blobs', sub);
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((p) => join(root, p))
    .filter((p) => statSync(p).isFile())
    .map((p) => `${relative(join(h.config.dataDir, 'blobs'), p)} ${sha1(readFileSync(p))}`)
    .sort();
}

/** Stored objects of one batch (`objects/batches/<id>/…`). */
export const batchObjects = (h: Harness, batchId: number) =>
  storageFiles(h, `objects/batches/${batchId}`);

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/**
 * Everything a user of org acme could notice: every batch (with its files) and every stored
 * byte. Compared before and after a refused request to show that nothing changed.
 */
export async function acmeState(h: Harness): Promise<unknown> {
  const res = await h.as(h.tokens.alice, { method: 'GET', url: '/api/v2/batches?limit=1000' });
  const batches = res.json<{ batches: { id: number }[] }>().batches;
  const withFiles = [];
  for (const b of batches) {
    withFiles.push({ batch: b, files: await listBatchFiles(h, h.tokens.alice, b.id) });
  }
  return { batches: withFiles, storage: storageFiles(h) };
}

/** Starts listening on a free local port (for requests inject cannot make, e.g. raw `..`). */
export async function listen(h: Harness): Promise<number> {
  await h.runbox.app.listen({ port: 0, host: '127.0.0.1' });
  return (h.runbox.app.server.address() as AddressInfo).port;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A request over a real socket with the path sent exactly as given (no URL normalisation) and
 * the body written chunk by chunk (chunked transfer encoding unless a Content-Length is given).
 */
export function rawRequest(
  port: number,
  opts: {
    method: string;
    path: string;
    token: string;
    headers?: Record<string, string>;
    chunks?: Buffer[];
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method,
        path: opts.path,
        agent: false,
        headers: { authorization: `Bearer ${opts.token}`, ...OCTET, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

/** A v2 error body from a raw response. */
export function rawErrorType(res: RawResponse): { status: number; type: unknown } {
  return { status: res.status, type: (JSON.parse(res.body) as { type?: unknown }).type };
}

export const UPLOAD = '/api/v2/batches/multipart-upload';
export interface Part {
  part_id: string;
  part_num: number;
}

/** The multipart upload calls, against whichever harness `harness()` returns at call time. */
export function multipartClient(harness: () => Harness, partSize: number) {
  const open = (token: string, body: Record<string, unknown>) =>
    harness().as(token, { method: 'POST', url: UPLOAD, payload: body });
  const start = async (
    batchId: number,
    filename: string,
    size: number | string,
    token = harness().tokens.alice,
  ) => {
    const res = await open(token, { batch_id: batchId, filename, file_size: size });
    expect(res.statusCode, res.payload).toBe(201);
    return res.json<{ session_id: string; part_size: number }>().session_id;
  };
  const part = (sid: string, n: number | string, bytes: Buffer, token = harness().tokens.alice) =>
    harness().as(token, {
      method: 'PUT',
      url: `${UPLOAD}/sessions/${sid}/parts/${n}`,
      payload: bytes,
      headers: OCTET,
    });
  const finish = (sid: string, body: Record<string, unknown>, token = harness().tokens.alice) =>
    harness().as(token, { method: 'POST', url: `${UPLOAD}/sessions/${sid}`, payload: body });
  /** Uploads `data` in order and returns the parts to commit. */
  const sendAll = async (sid: string, data: Buffer): Promise<Part[]> => {
    const parts: Part[] = [];
    for (let n = 1; (n - 1) * partSize < Math.max(1, data.length); n++) {
      const res = await part(sid, n, data.subarray((n - 1) * partSize, n * partSize));
      expect(res.statusCode, res.payload).toBe(201);
      parts.push(res.json<Part>());
    }
    return parts;
  };
  return { open, start, part, finish, sendAll };
}

/** POST a JSON body (or a raw string, for malformed JSON) as alice. */
export function postJson(
  h: Harness,
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
) {
  return h.as(h.tokens.alice, {
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A batch with one file, so "nothing changed" covers an existing file too. */
export async function seedBatchWithFile(h: Harness): Promise<number> {
  const id = await createBatch(h, h.tokens.alice, { name: 'seed' });
  expect((await putBatchFile(h, h.tokens.alice, id, 'a.txt', 'original')).statusCode).toBe(204);
  return id;
}

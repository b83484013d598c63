/**
 * Shared by the runs suites: packing and publishing apps, batches with files, starting runs and
 * waiting for them, reading what a user reads, and streaming over a real socket. Test apps are
 * in test-apps.ts, hand-built archives in archives.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import * as tar from 'tar';
import { expect } from 'vitest';
import { EXAMPLES_DIR, publishExamples } from '../../src/services/example-apps.js';
import { waitFor, type Harness } from '../helpers/harness.js';
import { discardTestApp } from './test-apps.js';
import type { AihubRun } from '../../src/services/run-views.js';

export const OCTET = { 'content-type': 'application/octet-stream' } as const;
export const TERMINAL = ['COMPLETE', 'FAILED', 'CANCELLED'] as const;
export const SAMPLES_DIR = join(EXAMPLES_DIR, 'invoice-extractor', 'samples');

/** A run as the v2 API returns it (`status` widened to string for comparisons). */
export type RunObject = Omit<AihubRun, 'status'> & { status: string };

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
  if (typeof pkg === 'string') discardTestApp(pkg);
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
  return waitFor(
    async () => {
      const res = await getRun(h, token, id);
      expect(res.statusCode, res.body).toBe(200);
      const run = res.json<RunObject>();
      return statuses.includes(run.status) ? run : undefined;
    },
    `run ${id} to reach ${statuses.join('|')}`,
  );
}

export async function getLogs(h: Harness, token: string, id: string): Promise<string> {
  const res = await h.as(token, { method: 'GET', url: `/api/v2/apps/runs/${id}/logs` });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
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

/** Asymmetric matchers typed `unknown` (vitest types them `any`). */
export const ANY_STRING: unknown = expect.any(String);
export const matching = (re: RegExp): unknown => expect.stringMatching(re);

export function expectError(res: LightMyRequestResponse, status: number, type: string): string {
  const body = res.json<{ type?: string; message?: unknown }>();
  expect({ status: res.statusCode, type: body.type }, res.body).toEqual({ status, type });
  expect(typeof body.message).toBe('string');
  return body.message as string;
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

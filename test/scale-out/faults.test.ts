/**
 * Scale-out under faults (SPEC §2): 2 API and 2 worker processes on a Postgres server of the
 * test's own, runs of the example apps submitted through both API nodes, and meanwhile a worker
 * SIGKILLed (and replaced), an API node SIGKILLed (and restarted), Postgres restarted as if it
 * crashed, uploads made and finished runs deleted. Once with the blobs in a directory every node
 * shares, once in S3 (an S3-compatible server of the test's own), which is also stalled (SIGSTOP)
 * for a few seconds. Clients do what a careful client does: retry on a dropped connection or a
 * 5xx, creating runs with an Idempotency-Key. Afterwards every run is terminal, every completed
 * run's results are complete and each file's outcome was written once, every deletion job
 * finished and left nothing, every acknowledged upload is there intact, and both API nodes
 * report the same status for every run.
 *
 * RUNBOX_FAULT_RUNS sets how many example runs are submitted to each (default 1,000, about 40 s
 * on the directory; the issue names 2,000, which passes in about 70 s on a 2-core machine).
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { listFiles, sha256 } from '../cli/process-helpers.js';
import { describePostgres } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { PrivatePostgres } from '../helpers/private-postgres.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';
import { projectPath } from '../../src/project-root.js';
import {
  scaleOutProcesses,
  TERMINAL,
  type ApiNode,
  type Deployment,
  type DeploymentOptions,
} from './scale-out-cluster.js';

const RUNS = Number(process.env.RUNBOX_FAULT_RUNS ?? 1000);
const UPLOADS = Math.max(10, Math.round(RUNS / 10));
const DOOMED = Math.max(10, Math.round(RUNS / 20));
const PARALLEL = 6;
const TEXTS: Record<string, string> = {
  'one.txt': 'one line of four words\n',
  'two.txt': 'first line\nsecond line here\n',
  'three.txt': 'a b c\nd e\nf\n',
};
const SAMPLES = projectPath('examples', 'invoice-extractor', 'samples');

const counts = (text: string) => ({
  lines: (text.match(/\n/g) ?? []).length,
  words: text.split(/\s+/).filter(Boolean).length,
  bytes: Buffer.byteLength(text),
});

/**
 * The API nodes as a careful client sees them: requests go round the live nodes, and one that
 * fails without an answer (connection refused or dropped) or with a 5xx is tried again, on the
 * next node, with backoff, until it is answered.
 */
class Clients {
  private turn = 0;
  retries = 0;

  constructor(
    readonly nodes: ApiNode[],
    private readonly token: string,
  ) {}

  async request(
    path: string,
    init: RequestInit,
    ok: (status: number) => boolean,
  ): Promise<{ status: number; text: string }> {
    for (let attempt = 0; ; attempt++) {
      const node = this.nodes[this.turn++ % this.nodes.length]!;
      const res = await node.api(path, { ...init, token: this.token }).then(
        async (r) => ({ status: r.status, text: await r.text() }),
        () => undefined,
      );
      if (res && ok(res.status)) return res;
      if (res && res.status < 500 && res.status !== 409) {
        throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${res.text}`);
      }
      if (attempt > 200) throw new Error(`${path}: still failing after ${attempt} attempts`);
      this.retries++;
      await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
    }
  }

  async json<T>(path: string, init: RequestInit = {}, status = 200): Promise<T> {
    const res = await this.request(path, init, (s) => s === status);
    return JSON.parse(res.text) as T;
  }

  async newBatch(name: string): Promise<number> {
    const body = await this.json<{ id: number }>('/api/v2/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    return body.id;
  }

  async put(batchId: number, name: string, bytes: Buffer): Promise<void> {
    await this.request(
      `/api/v2/batches/${batchId}/files/${encodeURIComponent(name)}`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      },
      (s) => s === 204,
    );
  }

  /** Creates a run, retried under one Idempotency-Key so a lost answer creates no second run. */
  async startRun(key: string, app: string, batchId: number): Promise<string> {
    const run = await this.json<{ id: string }>('/api/v2/apps/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ app_name: app, batch_id: batchId }),
    });
    return run.id;
  }

  async status(id: string): Promise<string> {
    return (await this.json<{ status: string }>(`/api/v2/apps/runs/${id}`)).status;
  }
}

/** `fn` for 0…count-1, `PARALLEL` at a time. */
async function times(count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let i = next++; i < count; i = next++) await fn(i);
    }),
  );
}

/** Where the deployment stores its blobs, and how the test looks at them. */
interface StorageUnderTest {
  options: Pick<DeploymentOptions, 'env' | 'stallStorage'>;
  /** The stored keys under a prefix, relative to it; undefined where the test cannot look. */
  objects(d: Deployment, prefix: string): Promise<string[] | undefined>;
  bytes(d: Deployment, key: string): Promise<Buffer>;
}

/** One directory every process shares (or RUNBOX_TEST_STORAGE_URL's storage, if set). */
const sharedDirectory: StorageUnderTest = {
  options: {},
  objects: async (d, prefix) => d.storedObjects(prefix),
  bytes: (d, key) => readFile(join(d.dataDir, 'blobs', 'objects', key)),
};

/** A bucket of the test's S3-compatible server, stalled (SIGSTOP) as the fault. */
function s3Storage(s3: S3Server, bucket: string): StorageUnderTest {
  const under = (prefix: string) => `rb/${prefix}/`;
  return {
    options: {
      env: s3.env(bucket, 'rb'),
      stallStorage: async (ms) => {
        s3.pause();
        try {
          await sleep(ms);
        } finally {
          s3.resume();
        }
      },
    },
    objects: async (_d, prefix) =>
      (await s3.keys(bucket, under(prefix))).map((k) => k.slice(under(prefix).length)),
    bytes: async (_d, key) => {
      const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: `rb/${key}` }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
  };
}

interface Submitted {
  id: string;
  app: 'text-stats' | 'invoice-extractor';
  /** The files of its batch: name → expected counts (text-stats) or invoice number. */
  files: Record<string, unknown>;
}

describePostgres('scale-out under faults', () => {
  const { deployment } = scaleOutProcesses();
  let server: PrivatePostgres | undefined;
  let s3: S3Server | undefined;
  afterEach(async () => {
    await server?.destroy();
    server = undefined;
    await s3?.stop();
    s3 = undefined;
  });

  it.each(['a shared directory', 'S3, stalled once'] as const)(
    `${RUNS} example runs through 2 API nodes and 2 workers, with a worker and an API node killed and Postgres restarted; blobs in %s`,
    { timeout: 300_000 },
    async (where) => {
      server = await PrivatePostgres.create();
      let storage = sharedDirectory;
      if (where !== 'a shared directory') {
        s3 = await startS3Server();
        storage = s3Storage(s3, await s3.createBucket());
      }
      const d = deployment({
        databaseUrl: server.url,
        ...storage.options,
        env: { ...storage.options.env, RUNBOX_RUN_LEASE_MS: '3000', RUNBOX_JOB_LEASE_MS: '3000' },
      });
      expect((await d.migrate()).code).toBe(0);
      const nodes = [await d.startApi(), await d.startApi()];
      const victimWorker = await d.startWorker();
      await d.startWorker();
      const clients = new Clients(nodes, d.token);

      // Inputs made before the faults: a text batch and the invoice samples.
      const textBatch = await clients.newBatch('texts');
      for (const [name, text] of Object.entries(TEXTS)) {
        await clients.put(textBatch, name, Buffer.from(text));
      }
      const invoiceBatch = await clients.newBatch('invoices');
      const invoices: Record<string, string> = {};
      for (const name of readdirSync(SAMPLES)) {
        await clients.put(invoiceBatch, name, readFileSync(join(SAMPLES, name)));
        invoices[name] = `INV-${/(\d+)/.exec(name)![1]}`;
      }
      const doomedBatches: number[] = [];
      for (let i = 0; i < DOOMED; i++) {
        const b = await clients.newBatch(`doomed-${i}`);
        await clients.put(b, 'doomed.txt', Buffer.from(`doomed ${i}\n`));
        doomedBatches.push(b);
      }

      const submitted: Submitted[] = [];
      const uploads: { batchId: number; name: string; bytes: Buffer; runId: string }[] = [];
      const deletions: { runId: string; batchId: number; job: string | undefined }[] = [];
      let acknowledged = 0;
      const textFiles = Object.fromEntries(Object.entries(TEXTS).map(([n, t]) => [n, counts(t)]));

      const load = times(RUNS, async (i) => {
        const text = i % 2 === 0;
        const id = await clients.startRun(
          `load-${i}`,
          text ? 'text-stats' : 'invoice-extractor',
          text ? textBatch : invoiceBatch,
        );
        submitted.push(
          text
            ? { id, app: 'text-stats', files: textFiles }
            : { id, app: 'invoice-extractor', files: invoices },
        );
        acknowledged++;
      });
      const upload = times(UPLOADS, async (i) => {
        await until(
          'the load to get going',
          () => (acknowledged >= (i * RUNS) / UPLOADS / 2 ? true : undefined),
          200_000,
        );
        const batchId = await clients.newBatch(`upload-${i}`);
        const bytes = Buffer.from(`upload ${i} `.repeat(1 + (i % 7)) + '\n');
        await clients.put(batchId, `u-${i}.txt`, bytes);
        const runId = await clients.startRun(`upload-${i}`, 'text-stats', batchId);
        uploads.push({ batchId, name: `u-${i}.txt`, bytes, runId });
      });
      const doom = times(DOOMED, async (i) => {
        const runId = await clients.startRun(`doomed-${i}`, 'text-stats', doomedBatches[i]!);
        await until(
          'a doomed run to finish',
          async () => (TERMINAL.includes(await clients.status(runId)) ? true : undefined),
          200_000,
        );
        const res = await clients.request(
          `/api/v2/apps/runs/${runId}`,
          { method: 'DELETE' },
          // 404: an earlier attempt whose answer was lost already deleted it.
          (s) => s === 202 || s === 404,
        );
        const job =
          res.status === 202
            ? (JSON.parse(res.text) as { delete_log_dir_job_id: string }).delete_log_dir_job_id
            : undefined;
        deletions.push({ runId, batchId: doomedBatches[i]!, job });
      });

      // The faults, one after another as the load goes on.
      const at = (share: number) =>
        until(
          `${share * 100}% of the runs submitted`,
          () => (acknowledged >= RUNS * share ? true : undefined),
          200_000,
        );
      const faults = (async () => {
        await at(0.15);
        expect(await victimWorker.crash()).toEqual({ code: null, signal: 'SIGKILL' });
        await d.startWorker();
        await at(0.35);
        const victimApi = nodes[1]!;
        nodes.splice(1, 1);
        expect(await victimApi.child.crash()).toEqual({ code: null, signal: 'SIGKILL' });
        nodes.push(await d.startApi());
        await at(0.55);
        await server.restart('immediate');
        await at(0.75);
        if (d.stallStorage) await d.stallStorage(3_000);
      })();
      await Promise.all([load, upload, doom, faults]);

      // Every run ends.
      await until(
        'every run to end',
        async () => {
          const page = await clients.json<{ runs: unknown[] }>(
            '/api/v2/apps/runs?status=RUNNING&limit=1',
          );
          return page.runs.length === 0 ? true : undefined;
        },
        150_000,
      );
      const ids = new Set(submitted.map((s) => s.id));
      expect(ids.size, 'one run per submission, however often it was retried').toBe(RUNS);

      // Every completed run's results are complete and right; each file's outcome written once.
      for (const s of [
        ...submitted,
        ...uploads.map((u) => ({
          id: u.runId,
          app: 'text-stats',
          files: { [u.name]: counts(u.bytes.toString()) },
        })),
      ]) {
        const status = await clients.status(s.id);
        expect(status, `${s.id}: ${d.describe().slice(-3000)}`).toBe('COMPLETE');
        const results = (
          await clients.json<{
            files: {
              original_file_name: string;
              documents: { fields: { field_name: string; value: unknown }[] }[];
            }[];
          }>(`/api/v2/apps/runs/${s.id}/results`)
        ).files;
        expect(results.map((f) => f.original_file_name).sort()).toEqual(
          Object.keys(s.files).sort(),
        );
        for (const f of results) {
          // A file that failed (no document, or ERROR fields) is told with its run's log.
          if (f.documents.length !== 1 || f.documents[0]!.fields.some((x) => x.value === 'ERROR')) {
            const log = await clients.request(
              `/api/v2/apps/runs/${s.id}/logs`,
              {},
              (x) => x === 200,
            );
            const rows = await d.sql(`SELECT * FROM run_files WHERE run_id = $1`, [s.id]);
            expect.fail(
              `${s.id} ${f.original_file_name}: ${JSON.stringify(f)}\n${log.text}\n${JSON.stringify(rows)}`,
            );
          }
          const fields = Object.fromEntries(
            f.documents[0]!.fields.map((x) => [x.field_name, x.value]),
          );
          const want = s.files[f.original_file_name];
          if (s.app === 'text-stats') {
            const c = want as ReturnType<typeof counts>;
            expect([fields.lines, fields.words, fields.bytes].map(Number)).toEqual([
              c.lines,
              c.words,
              c.bytes,
            ]);
          } else {
            expect(fields.invoice_number).toBe(want);
          }
        }
      }
      const twice = await d.sql<{ run_id: string; idx: string; n: number }>(
        `SELECT run_id, data::json->>'index' AS idx, count(*)::int AS n FROM run_events
         WHERE kind = 'file' GROUP BY 1, 2 HAVING count(*) <> 1`,
      );
      expect(twice).toEqual([]);
      const unfinished = await d.sql(
        `SELECT run_id, file_index FROM run_files WHERE state <> 'done'`,
      );
      expect(unfinished).toEqual([]);

      // No deletion job lost: each finished, and nothing of its run is left.
      expect(deletions).toHaveLength(DOOMED);
      for (const del of deletions) {
        if (del.job) {
          const job = await until(
            `job ${del.job}`,
            async () => {
              const j = await clients.json<{ state: string }>(`/api/v2/jobs/${del.job}`);
              return j.state === 'PENDING' || j.state === 'RUNNING' ? undefined : j;
            },
            60_000,
          );
          expect(job.state).toBe('COMPLETE');
        }
      }
      const doomedIds = deletions.map((x) => x.runId);
      for (const table of ['runs', 'run_files', 'run_events', 'run_queue', 'run_leases']) {
        const col = table === 'runs' ? 'id' : 'run_id';
        const [row] = await d.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE ${col} = ANY($1)`,
          [doomedIds],
        );
        expect(row!.n, table).toBe(0);
      }
      const [left] = await d.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM batches WHERE id = ANY($1)`,
        [doomedBatches],
      );
      expect(left!.n).toBe(0);
      for (const b of doomedBatches) {
        expect((await storage.objects(d, `batches/${b}`)) ?? []).toEqual([]);
      }

      // Every acknowledged upload is there, whole.
      expect(uploads).toHaveLength(UPLOADS);
      for (const u of uploads) {
        const listed = await listFiles(nodes[0]!, d.token, u.batchId);
        expect(listed.map((f) => [f.name, f.metadata.size])).toEqual([[u.name, u.bytes.length]]);
        // The object the file's row names holds the bytes. (A retried upload whose first
        // attempt was stored but never answered can leave an orphan beside it, under the batch's
        // prefix: the batch's deletion removes it.)
        const [row] = await d.sql<{ blob_key: string }>(
          'SELECT blob_key FROM batch_files WHERE batch_id = $1',
          [u.batchId],
        );
        const stored = await storage.objects(d, `batches/${u.batchId}`);
        if (stored) {
          expect(stored.map((k) => `batches/${u.batchId}/${k}`)).toContain(row!.blob_key);
          expect(sha256(await storage.bytes(d, row!.blob_key))).toBe(sha256(u.bytes));
        }
      }

      // Every API node reports the same status for every run.
      const all = [...ids, ...uploads.map((u) => u.runId)];
      for (const node of nodes) {
        const seen = await node.client.runs();
        const byId = new Map(seen.map((r) => [r.id, r.status]));
        for (const id of all) expect(byId.get(id), id).toBe('COMPLETE');
        for (const id of doomedIds) expect(byId.has(id)).toBe(false);
      }
    },
  );
});

/**
 * The PraisonAI async-jobs dialect (SPEC §5) at `/api/v1/runs`: thin routes over the run
 * services. A job is a run; its id is the run id. Errors render as `{detail}` (dialects.ts).
 */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  conflict,
  invalidInput,
  isNotFound,
  isRunboxError,
  RunboxError,
} from '../../contract/errors.js';
import { isTerminal, praisonStatus } from '../../domain/run-state.js';
import type { Principal } from '../../services/principal.js';
import type { RunWebhook } from '../../engine/webhooks/run-webhooks.js';
import { IDEMPOTENCY_WINDOW_MS } from '../../services/run-service.js';
import type { Run } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { Services } from '../aihub/services.js';
import { principal } from '../request-context.js';
import { clientGone } from '../run-log-reply.js';
import {
  PRAISON_STATUSES,
  statesOf,
  timesOf,
  toStatusResponse,
  progressOf,
  errorOf,
} from './praison-views.js';

const tags = ['PraisonAI jobs'];

const SubmitBody = Type.Object(
  {
    app: Type.Optional(Type.String({ minLength: 1 })),
    recipe_name: Type.Optional(Type.String({ minLength: 1 })),
    prompt: Type.Optional(Type.String()),
    batch_id: Type.Optional(Type.Integer()),
    input_dir: Type.Optional(Type.String()),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    webhook_url: Type.Optional(Type.String()),
    timeout: Type.Optional(Type.Integer()),
    // What the PraisonAI Python client sends besides: the body form of the key, a grouping.
    idempotency_key: Type.Optional(Type.String()),
    session_id: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const JobParams = Type.Object({ job_id: Type.String() });

const ListQuery = Type.Object({
  status: Type.Optional(Type.String()),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

const Headers = Type.Object({ 'idempotency-key': Type.Optional(Type.String()) });

/** A `heartbeat` event after this long with nothing else sent. */
const HEARTBEAT_MS = 5_000;

/** Re-words catalogue errors the way PraisonAI clients expect, keeping their type. */
async function praison<T>(jobId: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (isNotFound(err) && err.message.includes(jobId)) {
      throw new RunboxError('record-not-found', `Job not found: ${jobId}`, { cause: err });
    }
    throw err;
  }
}

function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}/api/v1/runs`;
}

export const praisonRoutes: FastifyPluginAsyncTypebox<{
  services: Services;
  store: Store;
}> = async (app, { services, store }) => {
  const status = async (run: Run) => toStatusResponse(run, await store.runs.fileCounts(run.id));

  /** Every result file of a run (all pages), or null unless it succeeded. */
  async function resultOf(p: Principal, run: Run) {
    if (praisonStatus(run.state) !== 'succeeded') return null;
    const files: unknown[] = [];
    for (let offset = 0; ;) {
      const page = await services.runResults.results(p, run.id, { file_offset: offset });
      files.push(...page.files);
      offset += page.files.length;
      if (!page.has_more || page.files.length === 0) return { files, keys: page.keys };
    }
  }

  /** The run an `Idempotency-Key` made (PraisonAI: the body is not compared). */
  async function byKey(p: Principal, key: string): Promise<Run | undefined> {
    const since = Date.now() - IDEMPOTENCY_WINDOW_MS;
    const found = await store.idempotency.find(p.orgId, p.userId, key, since);
    return found ? store.runs.get(p.orgId, found.run_id) : undefined;
  }

  app.post(
    '/v1/runs',
    { schema: { tags, operationId: 'praisonSubmitJob', headers: Headers, body: SubmitBody } },
    async (req, reply) => {
      const p = principal(req);
      const b = req.body;
      const key = req.headers['idempotency-key'] ?? b.idempotency_key;
      const appName = b.app ?? b.recipe_name;
      if (b.app !== undefined && b.recipe_name !== undefined && b.app !== b.recipe_name) {
        throw invalidInput('Give one of app and recipe_name.');
      }
      if (appName === undefined)
        throw invalidInput('Missing required field "app" (or "recipe_name").');
      const inputs = [b.prompt, b.batch_id, b.input_dir].filter((v) => v !== undefined).length;
      if (inputs !== 1) throw invalidInput('Give exactly one of prompt, batch_id and input_dir.');

      // PraisonAI posts the job's status once it ends, however it ends.
      const webhooks: RunWebhook[] | undefined = b.webhook_url
        ? [
            {
              dialect: 'praison',
              url: b.webhook_url,
              events: ['complete', 'failed', 'timed_out', 'cancelled'],
            },
          ]
        : undefined;

      let run = key !== undefined ? await byKey(p, key) : undefined;
      if (!run) {
        // The app first, so an unknown app leaves no batch behind.
        await services.apps.resolve(p, { appName });
        let batchId = b.batch_id;
        if (b.prompt !== undefined) {
          batchId = await services.runInputs.oneFileBatch(p, {
            name: `prompt for ${appName}`,
            filename: 'prompt.txt',
            body: Readable.from([Buffer.from(b.prompt)]),
          });
        }
        const input = {
          app_name: appName,
          batch_id: batchId,
          input_dir: b.input_dir,
          settings: {
            keys: { custom: b.config ?? {} },
            runtime_config: b.timeout !== undefined ? { timeout_seconds: b.timeout } : {},
          },
        };
        let created: { id: string };
        try {
          created = await services.runs.create(p, input, { idempotencyKey: key, webhooks });
        } catch (err) {
          // Another submit with this key won the race: answer with its job.
          const winner =
            key !== undefined && isRunboxError(err) && err.type === 'conflict'
              ? await byKey(p, key)
              : undefined;
          if (!winner) {
            if (b.prompt !== undefined && batchId !== undefined) {
              await services.batches.delete(p, batchId).catch(() => undefined);
            }
            throw err;
          }
          created = winner;
        }
        run = await services.runs.getRow(p, created.id);
      }
      const url = `${baseUrl(req)}/${run.id}`;
      return reply
        .status(202)
        .header('Location', url)
        .header('Retry-After', '2')
        .send({
          job_id: run.id,
          status: praisonStatus(run.state),
          created_at: new Date(run.created_at).toISOString(),
          poll_url: url,
          stream_url: `${url}/stream`,
        });
    },
  );

  app.get(
    '/v1/runs',
    { schema: { tags, operationId: 'praisonListJobs', querystring: ListQuery } },
    async (req) => {
      const p = principal(req);
      const page = req.query.page ?? 1;
      const pageSize = req.query.page_size ?? 20;
      const s = req.query.status;
      if (s !== undefined && !PRAISON_STATUSES.includes(s as never)) {
        throw invalidInput(
          `Invalid status: ${s}. Valid values: [${PRAISON_STATUSES.map((v) => `'${v}'`).join(', ')}]`,
        );
      }
      const filter = {
        orgId: p.orgId,
        states: s === undefined ? undefined : statesOf(s),
        order: 'desc' as const,
      };
      const offset = (page - 1) * pageSize;
      const [rows, total] = await Promise.all([
        store.runs.list({ ...filter, limit: pageSize, offset }),
        store.runs.count(filter),
      ]);
      const counts = await store.runs.fileCountsOf(rows.map((r) => r.id));
      const jobs = rows.map((r) => toStatusResponse(r, counts.get(r.id)!));
      return { jobs, total, page, page_size: pageSize };
    },
  );

  app.get(
    '/v1/runs/:job_id',
    { schema: { tags, operationId: 'praisonGetJob', params: JobParams } },
    async (req) => {
      const id = req.params.job_id;
      return praison(id, async () => status(await services.runs.getRow(principal(req), id)));
    },
  );

  app.get(
    '/v1/runs/:job_id/result',
    { schema: { tags, operationId: 'praisonGetJobResult', params: JobParams } },
    async (req) => {
      const p = principal(req);
      const id = req.params.job_id;
      return praison(id, async () => {
        const run = await services.runs.getRow(p, id);
        if (!isTerminal(run.state)) {
          throw new RunboxError(
            'run-not-finished',
            `Job is not complete. Current status: ${praisonStatus(run.state)}`,
          );
        }
        const counts = await store.runs.fileCounts(run.id);
        return {
          job_id: run.id,
          status: praisonStatus(run.state),
          result: await resultOf(p, run),
          result_url: null,
          metrics: {
            files_total: run.file_count,
            files_done: counts.done,
            files_failed: counts.failed,
          },
          ...timesOf(run),
          error: errorOf(run),
        };
      });
    },
  );

  app.post(
    '/v1/runs/:job_id/cancel',
    { schema: { tags, operationId: 'praisonCancelJob', params: JobParams } },
    async (req) => {
      const p = principal(req);
      const id = req.params.job_id;
      return praison(id, async () => {
        try {
          await services.runs.cancel(p, id);
        } catch (err) {
          if (isRunboxError(err) && err.type === 'conflict') {
            const run = await services.runs.getRow(p, id);
            if (isTerminal(run.state)) {
              throw conflict(`Job is already complete. Status: ${praisonStatus(run.state)}`);
            }
          }
          throw err;
        }
        return status(await services.runs.getRow(p, id));
      });
    },
  );

  app.delete(
    '/v1/runs/:job_id',
    { schema: { tags, operationId: 'praisonDeleteJob', params: JobParams } },
    async (req, reply) => {
      const p = principal(req);
      const id = req.params.job_id;
      await praison(id, async () => {
        try {
          await services.runDeletion.delete(p, id, {
            delete_db_data: true,
            delete_input: true,
            delete_output: true,
            delete_logs: true,
          });
        } catch (err) {
          if (isRunboxError(err) && err.type === 'run-not-finished') {
            throw new RunboxError(
              'run-not-finished',
              'Cannot delete running job. Cancel it first.',
              {
                cause: err,
              },
            );
          }
          throw err;
        }
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/v1/runs/:job_id/stream',
    { schema: { tags, operationId: 'praisonStreamJob', params: JobParams } },
    async (req, reply) => {
      const p = principal(req);
      const id = req.params.job_id;
      let run = await praison(id, () => services.runs.getRow(p, id));
      const events = services.runLogs.follow(p, id, 0, clientGone(req));
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': req.id,
      });
      const send = (event: string, data: unknown) => {
        if (!reply.raw.destroyed)
          reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      let shown: string | undefined;
      let finished = 0;
      let lastSent = Date.now();
      const heartbeat = setInterval(() => {
        if (Date.now() - lastSent < HEARTBEAT_MS) return;
        lastSent = Date.now();
        send('heartbeat', { timestamp: new Date().toISOString() });
      }, HEARTBEAT_MS);
      try {
        for await (const e of events) {
          if (e.kind === 'log') continue;
          const d = JSON.parse(e.data) as { state?: string };
          if (e.kind === 'file' && (d.state === 'done' || d.state === 'failed')) finished++;
          if (e.kind === 'status') {
            // Queued again (a lost worker, or resurrected): count what is still finished.
            if (d.state === 'queued' && finished > 0) {
              const c = await store.runs.fileCounts(id);
              finished = c.done + c.failed;
            }
            const s = praisonStatus(d.state as Run['state']);
            if (s !== shown) {
              shown = s;
              send('status', { status: s, job_id: id });
            }
            run = {
              ...run,
              state: d.state as Run['state'],
              msg: (d as { msg?: string }).msg ?? null,
            };
          }
          const prog = progressOf(run, finished);
          send('progress', { percentage: prog.percentage, step: prog.current_step });
          lastSent = Date.now();
        }
        const last = await store.runs.get(p.orgId, id);
        if (!last) send('error', { error: `Job not found: ${id}` });
        else if (praisonStatus(last.state) === 'succeeded') {
          send('result', { result: await resultOf(p, last) });
        } else if (praisonStatus(last.state) === 'cancelled') {
          send('cancelled', { message: 'Job was cancelled' });
        } else if (praisonStatus(last.state) === 'failed') {
          send('error', { error: errorOf(last) });
        }
      } finally {
        clearInterval(heartbeat);
        reply.raw.end();
      }
      return reply;
    },
  );
};

/**
 * The Apify API v2 dialect (SPEC §5): thin routes at the server root (`/v2/...`) over the same
 * services as AI Hub. Apps are actors (`id` or `owner~name`), a run's files are its default
 * dataset, its events are its log. Errors come out as `{error:{type,message}}` (dialects.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { invalidInput, isRunboxError, RunboxError } from '../../contract/errors.js';
import { MANIFEST_DEFAULTS } from '../../domain/manifest.js';
import { isTerminal } from '../../domain/run-state.js';
import type { Principal } from '../../services/principal.js';
import type { CreateRunInput } from '../../services/run-service.js';
import type { Run } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { Services } from '../aihub/services.js';
import { principal } from '../request-context.js';
import { clientGone, sendRunLog } from '../run-log-reply.js';
import { apifyStorageRoutes } from './apify-storage-routes.js';
import { parseApifyWebhooks } from './apify-webhooks.js';
import { flag, statesOf, toApifyActor, toApifyRun, toApifyRunShort } from './apify-views.js';

/** Apify holds `waitForFinish` at most this long. */
export const MAX_WAIT_SECONDS = 60;
/** Apify's list maximum (and default). */
export const MAX_LIST_LIMIT = 1000;
/** Run input carried in the request (JSON or any other type), before any decompression. */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;
const POLL_MS = 250;

const ActorParams = Type.Object({ actorId: Type.String() });
const RunParams = Type.Object({ runId: Type.String() });
const Bool = Type.String();
const Seconds = Type.Number({ minimum: 0 });
const WaitQuery = Type.Object({ waitForFinish: Type.Optional(Seconds) });
const StartQuery = Type.Object({
  waitForFinish: Type.Optional(Seconds),
  timeout: Type.Optional(Seconds),
  memory: Type.Optional(Type.Number()),
  webhooks: Type.Optional(Type.String()),
});
const ListQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  desc: Type.Optional(Bool),
  status: Type.Optional(Type.String()),
  startedAfter: Type.Optional(Type.String()),
  startedBefore: Type.Optional(Type.String()),
});
const LastQuery = Type.Object({
  status: Type.Optional(Type.String()),
  waitForFinish: Type.Optional(Seconds),
});
const AbortQuery = Type.Object({ gracefully: Type.Optional(Bool) });
// `build`, `memory`, `maxItems`, … are accepted: the run keeps its app version and resources.
const ResurrectQuery = Type.Object({ timeout: Type.Optional(Seconds) });
/** What `PUT /v2/actor-runs/{id}` takes (apify-client sends no `runId`). */
const UPDATE_FIELDS = ['runId', 'statusMessage', 'isStatusMessageTerminal', 'generalAccess'];
const GENERAL_ACCESS = ['RESTRICTED', 'FOLLOW_USER_SETTING'];
const LogQuery = Type.Object({ stream: Type.Optional(Bool), raw: Type.Optional(Bool) });

/** Not in the AI Hub OpenAPI document (it is that dialect's contract). */
const hide = true;

/** What a non-JSON input file is called: `INPUT` plus the extension of its Content-Type. */
const EXTENSIONS: Record<string, string> = {
  'text/plain': '.txt',
  'text/csv': '.csv',
  'text/html': '.html',
  'text/markdown': '.md',
  'application/xml': '.xml',
  'text/xml': '.xml',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/tiff': '.tiff',
  'image/webp': '.webp',
};

function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The request body, decoded from `Content-Encoding: br|gzip|deflate` (apify-client compresses ≥ 1 KiB). */
function decodedBody(req: FastifyRequest): Buffer {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  const opts = { maxOutputLength: MAX_INPUT_BYTES };
  try {
    switch (encoding) {
      case 'identity':
      case '':
        return body;
      case 'br':
        return zlib.brotliDecompressSync(body, opts);
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(body, opts);
      case 'deflate':
        return zlib.inflateSync(body, opts);
    }
  } catch (err) {
    throw invalidInput(
      `The ${encoding} request body could not be decoded: ${(err as Error).message}`,
    );
  }
  throw invalidInput(`Unsupported Content-Encoding "${encoding}"; use br, gzip or deflate.`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export const apifyRoutes: FastifyPluginAsyncTypebox<{ services: Services; store: Store }> = async (
  app,
  { services, store },
) => {
  // The run input is any body of any type (Apify stores it as INPUT as-is); empty-bodied POSTs
  // (abort) come as application/x-www-form-urlencoded. In this scope only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  /** `id` is an app id; `owner~name` (or `~name`, the caller's) an app by name. */
  function resolveActor(p: Principal, actorId: string) {
    const tilde = actorId.indexOf('~');
    if (tilde < 0) return services.apps.resolve(p, { appId: actorId });
    const owner = actorId.slice(0, tilde);
    return services.apps.resolve(p, {
      appName: actorId.slice(tilde + 1),
      owner: owner === '' ? p.userId : owner,
    });
  }

  /** The run once it is terminal, or as it is when `seconds` (≤ 60) pass or the client leaves. */
  async function waitForFinish(
    p: Principal,
    id: string,
    seconds: number | undefined,
    signal: AbortSignal,
  ): Promise<Run> {
    let run = await services.runs.getRow(p, id);
    const deadline = Date.now() + Math.min(seconds ?? 0, MAX_WAIT_SECONDS) * 1000;
    while (!isTerminal(run.state) && !signal.aborted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, deadline - Date.now())));
      run = await services.runs.getRow(p, id);
    }
    return run;
  }

  const runData = (run: Run) => ({ data: toApifyRun(run, Date.now()) });

  async function listRuns(p: Principal, appId: string | undefined, q: typeof ListQuery.static) {
    const offset = q.offset ?? 0;
    const limit = Math.max(1, Math.min(q.limit ?? MAX_LIST_LIMIT, MAX_LIST_LIMIT));
    const desc = flag(q.desc, 'desc') ?? false;
    const states = statesOf(q.status);
    const filter = {
      orgId: p.orgId,
      appId,
      states,
      from: dateParam(q.startedAfter, 'startedAfter'),
      to: dateParam(q.startedBefore, 'startedBefore'),
    };
    const [rows, total] =
      states?.length === 0
        ? [[], 0]
        : await Promise.all([
            store.runs.list({ ...filter, order: desc ? 'desc' : 'asc', limit, offset }),
            store.runs.count(filter),
          ]);
    const items = rows.map(toApifyRunShort);
    return { data: { total, offset, limit, count: items.length, desc, items } };
  }

  // ---- actors ----

  for (const prefix of ['/v2/actors', '/v2/acts']) {
    app.get(`${prefix}/:actorId`, { schema: { hide, params: ActorParams } }, async (req) => {
      const { app: a, version, manifest } = await resolveActor(principal(req), req.params.actorId);
      return {
        data: toApifyActor(
          a,
          version,
          manifest.timeout_seconds ?? MANIFEST_DEFAULTS.timeout_seconds,
        ),
      };
    });

    app.post(
      `${prefix}/:actorId/runs`,
      {
        bodyLimit: MAX_INPUT_BYTES,
        schema: { hide, params: ActorParams, querystring: StartQuery },
      },
      async (req, reply) => {
        const p = principal(req);
        const { app: a } = await resolveActor(p, req.params.actorId);
        // Checked before the input is stored, so a bad parameter leaves nothing behind.
        const webhooks = parseApifyWebhooks(req.query.webhooks);
        const input = await runInput(p, a.name, req);
        const timeout = req.query.timeout;
        if (timeout !== undefined && !Number.isInteger(timeout)) {
          throw invalidInput('Query parameter "timeout" must be a whole number of seconds.');
        }
        const created = await services.runs.create(
          p,
          {
            app_id: a.id,
            ...input,
            // 0 is Apify's "no timeout": the app's own timeout applies. `memory` is not ours to set.
            ...(timeout ? { settings: { runtime_config: { timeout_seconds: timeout } } } : {}),
          },
          { webhooks },
        );
        const run = await waitForFinish(p, created.id, req.query.waitForFinish, clientGone(req));
        return reply.code(201).header('Location', `/v2/actor-runs/${run.id}`).send(runData(run));
      },
    );

    app.get(
      `${prefix}/:actorId/runs`,
      { schema: { hide, params: ActorParams, querystring: ListQuery } },
      async (req) => {
        const p = principal(req);
        const { app: a } = await resolveActor(p, req.params.actorId);
        return listRuns(p, a.id, req.query);
      },
    );

    app.get(
      `${prefix}/:actorId/runs/last`,
      { schema: { hide, params: ActorParams, querystring: LastQuery } },
      async (req) => {
        const p = principal(req);
        const { app: a } = await resolveActor(p, req.params.actorId);
        const states = statesOf(req.query.status);
        const [last] =
          states?.length === 0
            ? []
            : await store.runs.list({
                orgId: p.orgId,
                appId: a.id,
                states,
                order: 'desc',
                limit: 1,
                offset: 0,
              });
        if (!last) throw noRun(`No run of actor ${req.params.actorId} matches.`);
        return runData(await waitForFinish(p, last.id, req.query.waitForFinish, clientGone(req)));
      },
    );
  }

  // ---- runs ----

  app.get('/v2/actor-runs', { schema: { hide, querystring: ListQuery } }, async (req) =>
    listRuns(principal(req), undefined, req.query),
  );

  app.get(
    '/v2/actor-runs/:runId',
    { schema: { hide, params: RunParams, querystring: WaitQuery } },
    async (req) =>
      runData(
        await waitForFinish(
          principal(req),
          req.params.runId,
          req.query.waitForFinish,
          clientGone(req),
        ),
      ),
  );

  app.post(
    '/v2/actor-runs/:runId/abort',
    { schema: { hide, params: RunParams, querystring: AbortQuery } },
    async (req) => {
      const p = principal(req);
      // Runbox's cancel is always graceful (abort signal, then a kill after the grace period).
      flag(req.query.gracefully, 'gracefully');
      try {
        await services.runs.cancel(p, req.params.runId);
      } catch (err) {
        // Apify: aborting a finished run does nothing.
        if (!(isRunboxError(err) && err.type === 'conflict')) throw err;
      }
      return runData(await services.runs.getRow(p, req.params.runId));
    },
  );

  app.delete(
    '/v2/actor-runs/:runId',
    { schema: { hide, params: RunParams } },
    async (req, reply) => {
      // An unfinished run's refusal is Apify's 400 `cannot-remove-running-run` (dialects.ts).
      await services.runDeletion.delete(principal(req), req.params.runId, {
        delete_db_data: true,
        delete_input: true,
        delete_output: true,
        delete_logs: true,
      });
      return reply.code(204).send();
    },
  );

  app.put(
    '/v2/actor-runs/:runId',
    { bodyLimit: 64 * 1024, schema: { hide, params: RunParams } },
    async (req) => {
      const p = principal(req);
      const id = req.params.runId;
      const b = jsonObject(decodedBody(req));
      for (const k of Object.keys(b)) {
        if (!UPDATE_FIELDS.includes(k)) throw invalidInput(`Unknown field "${k}" in body.`);
      }
      if (b.runId !== undefined && b.runId !== id) {
        throw invalidInput('Field "runId" in body must be the run id of the URL.');
      }
      // Runbox runs are seen only inside their org: the one access Apify's field can keep.
      if (b.generalAccess !== undefined && !GENERAL_ACCESS.includes(b.generalAccess as string)) {
        throw invalidInput(`Field "generalAccess" in body must be ${GENERAL_ACCESS.join(' or ')}.`);
      }
      const message = typed(b, 'statusMessage', 'string');
      const terminal = b.isStatusMessageTerminal;
      if (terminal !== undefined && typeof terminal !== 'boolean') {
        throw invalidInput('Field "isStatusMessageTerminal" in body must be a boolean.');
      }
      if (message === undefined) {
        if (terminal !== undefined) {
          throw invalidInput('Field "isStatusMessageTerminal" in body needs "statusMessage".');
        }
        return runData(await services.runs.getRow(p, id));
      }
      return runData(
        await services.runs.setStatusMessage(p, id, { message, terminal: terminal === true }),
      );
    },
  );

  app.post(
    '/v2/actor-runs/:runId/resurrect',
    { schema: { hide, params: RunParams, querystring: ResurrectQuery } },
    async (req) => {
      const timeout = req.query.timeout;
      // 0 is Apify's "no timeout": the run keeps its own.
      return runData(
        await services.runResurrection.resurrect(principal(req), req.params.runId, {
          ...(timeout ? { timeoutSeconds: timeout } : {}),
        }),
      );
    },
  );

  app.get(
    '/v2/actor-runs/:runId/log',
    { schema: { hide, params: RunParams, querystring: LogQuery } },
    async (req, reply) => {
      const p = principal(req);
      const id = req.params.runId;
      flag(req.query.raw, 'raw');
      return sendRunLog(services.runLogs, req, reply, {
        principal: p,
        runId: id,
        follow: flag(req.query.stream, 'stream') === true,
      });
    },
  );

  await app.register(apifyStorageRoutes, { services });

  /**
   * The run's input from the body: `{batch_id}` or `{input_dir}` runs over that; any other body
   * becomes the one file of a new batch (`INPUT.json`, or `INPUT` + the type's extension).
   */
  async function runInput(
    p: Principal,
    appName: string,
    req: FastifyRequest,
  ): Promise<Pick<CreateRunInput, 'batch_id' | 'input_dir' | 'output_workspace' | 'output_dir'>> {
    const body = decodedBody(req);
    if (body.length === 0) {
      throw invalidInput(
        'The run input is empty: send {"batch_id": …} or {"input_dir": …}, or the input itself as the body.',
      );
    }
    const type = mediaType(req);
    const json = type === 'application/json' || type.endsWith('+json');
    if (json) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw invalidInput(`Malformed JSON body: ${(err as Error).message}`);
      }
      if (isObject(parsed) && ('batch_id' in parsed || 'input_dir' in parsed)) {
        return {
          batch_id: typed(parsed, 'batch_id', 'integer'),
          input_dir: typed(parsed, 'input_dir', 'string'),
          output_workspace: typed(parsed, 'output_workspace', 'string'),
          output_dir: typed(parsed, 'output_dir', 'string'),
        };
      }
    }
    const filename = json ? 'INPUT.json' : `INPUT${EXTENSIONS[type] ?? ''}`;
    const batchId = await services.runInputs.oneFileBatch(p, {
      name: `Apify input for ${appName}`,
      filename,
      body: Readable.from([body]),
    });
    return { batch_id: batchId };
  }
};

/** A JSON object body (PUT), as the error names it otherwise. */
function jsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidInput(`Malformed JSON body: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw invalidInput('The body must be a JSON object.');
  return parsed;
}

function typed(o: Record<string, unknown>, key: string, kind: 'string'): string | undefined;
function typed(o: Record<string, unknown>, key: string, kind: 'integer'): number | undefined;
function typed(o: Record<string, unknown>, key: string, kind: 'string' | 'integer') {
  const v = o[key];
  if (v === undefined) return undefined;
  if (kind === 'string' ? typeof v === 'string' : Number.isInteger(v)) return v;
  throw invalidInput(
    `Field "${key}" in body must be ${kind === 'string' ? 'a string' : 'an integer'}.`,
  );
}

function dateParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw invalidInput(`Query parameter "${name}" must be an ISO 8601 date.`);
  return ms;
}

/** `record-not-found`, so apify-client's `lastRun().get()` answers undefined. */
const noRun = (message: string) => new RunboxError('record-not-found', message);

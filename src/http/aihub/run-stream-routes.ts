import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../contract/aihub/common.js';
import { LogsQuery, RunParams } from '../../contract/aihub/runs.js';
import { principal } from '../request-context.js';
import { clientGone, sendRunLog } from '../run-log-reply.js';
import type { Services } from './services.js';

const tags = ['Runs'];

export const runStreamRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v2/apps/runs/:run_id/logs',
    {
      schema: {
        tags,
        operationId: 'getRunLogs',
        description:
          'The run log as text; with follow=true the response streams until the run ends.',
        params: RunParams,
        querystring: LogsQuery,
        response: { 200: { description: 'text/plain log lines' }, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendRunLog(services.runLogs, req, reply, {
        principal: principal(req),
        runId: req.params.run_id,
        follow: req.query.follow === true,
      }),
  );

  app.get(
    '/v2/apps/runs/:run_id/events',
    {
      schema: {
        tags,
        operationId: 'streamRunEvents',
        description:
          'Server-Sent Events: `status` and `file` events of the run (id = event id; Last-Event-ID resumes), closing after a terminal status.',
        params: RunParams,
        response: { 200: { description: 'text/event-stream' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const last = Number(req.headers['last-event-id'] ?? 0);
      const events = services.runLogs.follow(
        p,
        req.params.run_id,
        Number.isFinite(last) ? last : 0,
        clientGone(req),
      );
      const first = await events.next();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': req.id,
      });
      const send = (e: { id: number; kind: string; data: string }) => {
        if (e.kind === 'log') return;
        reply.raw.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${e.data}\n\n`);
      };
      const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
      try {
        if (!first.done) send(first.value);
        for await (const e of events) send(e);
      } finally {
        clearInterval(ping);
        reply.raw.end();
      }
      return reply;
    },
  );
};

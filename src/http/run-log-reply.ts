import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Principal } from '../services/principal.js';
import { formatEvent, type RunLogService } from '../services/run-log-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Aborted when the server begins to close: streams and waits end so it can. */
    shuttingDown: AbortSignal;
  }
}

/**
 * Streams (SSE, followed logs, waits for a run) end cleanly when the server closes, instead
 * of holding its shutdown until their runs end; their clients reconnect to another node.
 */
export function installStreamShutdown(app: FastifyInstance): void {
  const closing = new AbortController();
  app.decorate('shuttingDown', closing.signal);
  app.addHook('preClose', async () => closing.abort());
}

/** Aborted when the client goes away or the server shuts down, so waits and followers stop. */
export function clientGone(req: {
  raw: { on(e: 'close', f: () => void): void };
  server?: { shuttingDown?: AbortSignal };
}): AbortSignal {
  const controller = new AbortController();
  req.raw.on('close', () => controller.abort());
  const closing = req.server?.shuttingDown;
  if (!closing) return controller.signal;
  return AbortSignal.any([controller.signal, closing]);
}

/**
 * A run's log as text, or (`follow`) streamed until the run ends; the one home of both for
 * every dialect. The first read finds a missing run (an error in the dialect's envelope)
 * before the 200 is written.
 */
export async function sendRunLog(
  logs: RunLogService,
  req: { id: string; raw: { on(e: 'close', f: () => void): void } },
  reply: FastifyReply,
  o: { principal: Principal; runId: string; follow: boolean },
): Promise<FastifyReply> {
  if (!o.follow) {
    const events = await logs.all(o.principal, o.runId);
    return reply
      .type('text/plain; charset=utf-8')
      .send(events.map((e) => `${formatEvent(e)}\n`).join(''));
  }
  const events = logs.follow(o.principal, o.runId, 0, clientGone(req));
  const first = await events.next();
  reply.raw.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': req.id,
  });
  if (!first.done) reply.raw.write(`${formatEvent(first.value)}\n`);
  for await (const e of events) reply.raw.write(`${formatEvent(e)}\n`);
  reply.raw.end();
  return reply;
}

import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';

export function registerHealthRoutes(app: FastifyInstance, store: Store): void {
  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({
    status: 'ok',
  }));

  /** Ready when the store answers and its migrations are current. */
  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    try {
      await store.ping();
      const m = await store.migrationStatus();
      if (!m.current) {
        return reply.status(503).send({ status: 'not-ready', reason: 'migrations pending', ...m });
      }
      return { status: 'ready', backend: store.capabilities.backend, migrations: m.applied };
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'not-ready', reason: 'store unreachable' });
    }
  });
}

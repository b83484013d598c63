import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';

/**
 * `/healthz`: the process is alive. `/readyz`: it should get traffic: started, the store
 * answers, and none of its migrations is pending; otherwise 503 with the reason (load balancers take
 * the node out; the process itself keeps retrying its store).
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  store: Store,
  notReady: () => string | undefined = () => undefined,
): void {
  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({
    status: 'ok',
  }));

  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    const starting = notReady();
    if (starting) return reply.status(503).send({ status: 'not-ready', reason: starting });
    try {
      await store.ping();
      const m = await store.migrationStatus();
      if (m.applied < m.known) {
        return reply.status(503).send({ status: 'not-ready', reason: 'migrations pending', ...m });
      }
      // A newer schema (a rolling upgrade migrated it) is one this node still works on: the
      // migrations of a release never take away what the release before it uses.
      return {
        status: 'ready',
        backend: store.capabilities.backend,
        migrations: m.applied,
        ...(m.applied > m.known ? { schema: 'newer than this node' } : {}),
      };
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'not-ready', reason: 'store unreachable' });
    }
  });
}

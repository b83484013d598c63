import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATES } from '../contract/job-states.js';
import type { Store } from '../store/store.js';

/**
 * Prometheus metrics: requests by route and status, a latency histogram, jobs by state
 * (read from the store at scrape time), and the process defaults. One registry per server so
 * several servers in one process (tests) do not share counters.
 */
export function installMetrics(
  app: FastifyInstance,
  deps: { store: Store; requireToken: boolean },
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'runbox_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'runbox_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'runbox_jobs',
    help: 'Background jobs by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await deps.store.jobs.countByState();
      for (const s of JOB_STATES) this.set({ state: s }, counts[s] ?? 0);
    },
  });

  new Counter({
    name: 'runbox_db_queries_total',
    help: 'Statements this process sent to the database.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.store.queryCount());
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: reply.statusCode });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    { config: { public: !deps.requireToken }, schema: { hide: true } },
    async (_request, reply) => {
      void reply.type(registry.contentType);
      return registry.metrics();
    },
  );
  return registry;
}

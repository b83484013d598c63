/**
 * The scale-out topology (SPEC §2) as real processes on one Postgres schema: `runbox migrate`
 * once, API-only nodes and worker nodes that do not migrate (and refuse a schema older than
 * theirs), graceful shutdown on SIGTERM (running work handed back at once, streams closed), and
 * a store that cannot be reached making a process not ready instead of ending it.
 */
import { afterEach, expect, it } from 'vitest';
import { describePostgres } from '../helpers/backends.js';
import { PrivatePostgres } from '../helpers/private-postgres.js';
import { until } from '../helpers/poll.js';
import { executions, probePackage } from '../engine-processes/probe-app.js';
import { readyz, scaleOutProcesses, startRun, TERMINAL } from './scale-out-cluster.js';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MIGRATION_IDS = SQLITE_MIGRATIONS.map((m) => m.id).join(', ');
const execLog = () => join(mkdtempSync(join(tmpdir(), 'runbox-exec-')), 'executions.log');

describePostgres('scale-out topology', () => {
  const { deployment } = scaleOutProcesses();
  let privatePg: PrivatePostgres | undefined;
  afterEach(async () => {
    await privatePg?.destroy();
    privatePg = undefined;
  });

  it(
    'migrate once; API-only nodes and a worker share the schema; only the worker executes',
    { timeout: 90_000 },
    async () => {
      const d = deployment();
      // Before `runbox migrate`, nodes that do not migrate refuse to start, and create nothing.
      const api0 = await d.startApiUnready(['--no-workers', '--no-migrate']);
      expect(await api0.child.exited, api0.child.describe()).toEqual({ code: 1, signal: null });
      expect(api0.child.stderr).toMatch(/schema is older than this Runbox.*runbox migrate/);
      const w0 = await d.startWorker({}, { wait: false });
      expect(await w0.exited, w0.describe()).toEqual({ code: 1, signal: null });
      expect(w0.stderr).toMatch(/schema is older than this Runbox/);
      // A bad setting is refused before the store is touched.
      const bad = await d.startWorker({ RUNBOX_SHUTDOWN_GRACE_MS: 'soon' }, { wait: false });
      expect(await bad.exited).toEqual({ code: 1, signal: null });
      expect(bad.stderr).toContain('RUNBOX_SHUTDOWN_GRACE_MS must be a non-negative number');
      expect(
        await d.sql(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [d.schema]),
        'nothing was created',
      ).toEqual([]);

      const first = await d.migrate();
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toBe(`Applied migrations: ${MIGRATION_IDS}\n`);
      const again = await d.migrate();
      expect(again.stdout).toBe('The database is up to date.\n');

      const a = await d.startApi();
      const b = await d.startApi();
      const log = execLog();
      await a.client.publish(await probePackage(2));
      const batch = await a.client.batch(['one.txt']);
      const ids = [
        await startRun(a.client, 'probe', batch, { exec_log: log }),
        await startRun(b.client, 'probe', batch, { exec_log: log }),
      ];
      // Both API nodes answer for both runs; with no worker none starts.
      for (const node of [a, b]) {
        for (const id of ids) {
          expect((await node.client.run(id)).status).toBe('RUNNING');
          expect(await node.client.log(id)).not.toContain('[status] running');
        }
      }
      expect(executions(log)).toEqual([]);

      const worker = await d.startWorker();
      for (const id of ids) {
        expect((await b.client.finished(id, 30_000)).status, d.describe()).toBe('COMPLETE');
      }
      // Every execution happened under the worker process (the app's parent), none under an API node.
      const starts = executions(log).filter((e) => e.event === 'start');
      expect(starts.map((e) => e.runId).sort()).toEqual([...ids].sort());
      expect(new Set(starts.map((e) => e.worker))).toEqual(new Set([worker.pid]));

      // A newer release migrated the database (a rolling upgrade): this release's nodes keep
      // serving and still start when they do not migrate (with a warning); a node that would
      // migrate refuses, and changes nothing.
      await d.sql(
        `INSERT INTO runbox_migrations (id, name, checksum, applied_at) VALUES (999, 'next', 'x', 0)`,
      );
      expect(await readyz(a.url, 200)).toMatchObject({ schema: 'newer than this node' });
      const late = await d.startWorker();
      expect(late.stdout).toMatch(/migrations of a newer Runbox; upgrade this node soon/);
      const migrating = await d.startApiUnready(['--no-workers']);
      expect(await migrating.child.exited).toEqual({ code: 1, signal: null });
      expect(migrating.child.stderr).toMatch(/migration 999 \(next\).*upgrade Runbox/);
      const rows = await d.sql<{ id: number }>('SELECT id FROM runbox_migrations ORDER BY id');
      expect(rows.map((r) => r.id).join(', ')).toBe(`${MIGRATION_IDS}, 999`);
    },
  );

  it(
    'SIGTERM: a worker finishes its running file, hands the run back at once and another finishes it; an API node closes its streams; both exit 0',
    { timeout: 90_000 },
    async () => {
      // A lease far longer than the test's waits: only a hand-back lets the run finish in time.
      const d = deployment({ env: { RUNBOX_RUN_LEASE_MS: '600000' } });
      expect((await d.migrate()).code).toBe(0);
      const a = await d.startApi();
      const b = await d.startApi();
      const log = execLog();
      await a.client.publish(await probePackage(1));
      const files = ['1.txt', '2.txt', '3.txt', '4.txt', '5.txt', '6.txt'];
      const batch = await a.client.batch(files);
      // A grace longer than a file takes: the running file finishes, the others do not start.
      const victim = await d.startWorker({ RUNBOX_SHUTDOWN_GRACE_MS: '30000' });
      const id = await startRun(a.client, 'probe', batch, { exec_log: log, delay_ms: 2000 });
      await until('a file to start on the first worker', () =>
        executions(log).find((e) => e.worker === victim.pid),
      );
      const heir = await d.startWorker();

      // A client follows the run's events on node B, which is then stopped.
      const events = await b.api(`/api/v2/apps/runs/${id}/events`, { token: d.token });
      expect(events.status).toBe(200);
      const streamed = events.text();
      expect(await b.child.stop()).toEqual({ code: 0, signal: null });
      // The stream ended cleanly (the whole body was read), before the run did.
      expect(await streamed).toMatch(/event: status/);

      expect(await victim.stop(), victim.describe()).toEqual({ code: 0, signal: null });
      const run = await a.client.finished(id, 40_000);
      const text = await a.client.log(id);
      expect(run.status, `${text}\n${d.describe()}`).toBe('COMPLETE');
      expect(text).toContain('The worker shut down; the run was put back in the queue.');
      // Each file has one outcome. Every file the victim started, it finished (none was
      // aborted) and its outcome is the stored one; the heir did all the others.
      for (const name of files) {
        expect(text.split('\n').filter((l) => l.includes(`[file] ${name}: done`))).toHaveLength(1);
      }
      const onVictim = executions(log).filter((e) => e.worker === victim.pid);
      const started = onVictim.filter((e) => e.event === 'start').map((e) => e.file);
      expect(onVictim.filter((e) => e.event === 'end').map((e) => e.file)).toEqual(started);
      expect(text).not.toContain('abort seen');
      const results = await a.client.results(id);
      expect(results.map((f) => f.original_file_name).sort()).toEqual(files);
      expect(results.every((f) => f.documents.length === 1)).toBe(true);
      const by = (pid: number) =>
        results
          .filter(
            (f) =>
              f.documents[0]!.fields.find((x) => x.field_name === 'worker')!.value === String(pid),
          )
          .map((f) => f.original_file_name)
          .sort();
      expect(by(victim.pid)).toEqual([...started].sort());
      expect(by(heir.pid)).toEqual(files.filter((f) => !started.includes(f)));
      expect(by(heir.pid).length).toBeGreaterThan(0);
    },
  );

  it(
    'a store that cannot be reached: not ready (503 with the reason) and retrying, then ready once it answers',
    { timeout: 120_000 },
    async () => {
      privatePg = await PrivatePostgres.create();
      await privatePg.stop();
      const d = deployment({ databaseUrl: privatePg.url });
      const api = await d.startApiUnready();
      const worker = await d.startWorker({}, { wait: false, migrate: true });
      const notReady = await readyz(api.url, 503);
      expect(notReady).toMatchObject({ status: 'not-ready' });
      expect(notReady.reason).toMatch(/store/);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
      // Both keep trying (with backoff) rather than exit.
      for (const child of [api.child, worker]) {
        await until('two retries', () =>
          (child.stdout.match(/the store cannot be reached; trying again/g) ?? []).length >= 2
            ? true
            : undefined,
        );
        expect(child.exit).toBeUndefined();
      }

      await privatePg.start();
      expect(await readyz(api.url, 200, 60_000)).toMatchObject({ status: 'ready' });
      await worker.waitForStdout(/"msg":"worker started"/);
      const [, token] = await api.child.waitForStdout(/Admin token: (\S+)/);

      // Later losses too: not ready while the server is down, ready again after, and work goes on.
      await privatePg.stop('immediate');
      expect((await readyz(api.url, 503)).reason).toMatch(/store unreachable/);
      await privatePg.start();
      await readyz(api.url, 200, 60_000);
      const apps = await until('the API to answer again', async () => {
        const res = await fetch(`${api.url}/api/v2/apps?limit=10`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return res.status === 200 ? await res.json() : undefined;
      });
      expect(JSON.stringify(apps)).toContain('text-stats');
      const batch = await (async () => {
        const res = await fetch(`${api.url}/api/v2/batches`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'after' }),
        });
        expect(res.status).toBe(200);
        const { id } = (await res.json()) as { id: number };
        const put = await fetch(`${api.url}/api/v2/batches/${id}/files/x.txt`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}` },
          body: 'one two\n',
        });
        expect(put.status).toBe(204);
        return id;
      })();
      const created = await fetch(`${api.url}/api/v2/apps/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ app_name: 'text-stats', batch_id: batch }),
      });
      expect(created.status).toBe(200);
      const { id } = (await created.json()) as { id: string };
      const done = await until(
        'the run to finish',
        async () => {
          const res = await fetch(`${api.url}/api/v2/apps/runs/${id}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const run = (await res.json()) as { status: string };
          return TERMINAL.includes(run.status) ? run : undefined;
        },
        40_000,
      );
      expect(done.status, `${api.child.describe()}\n${worker.describe()}`).toBe('COMPLETE');
      expect(worker.exit, worker.describe()).toBeUndefined();
    },
  );
});

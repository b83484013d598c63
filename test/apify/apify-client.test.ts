/**
 * The real `apify-client` package against a listening server, unchanged: the current release
 * (on `/v2/actors`) and 2.23.3 (`apify-client-legacy`, the last on `/v2/acts`) run the same
 * scenario, and the paths each one sent are checked so both prefixes are really exercised.
 */
import { ApifyClient as CurrentClient } from 'apify-client';
import { ApifyClient as LegacyClient } from 'apify-client-legacy';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createBatch, listen, publishOk, waitForLog } from '../runs/run-helpers.js';
import { nodeApp } from '../runs/test-apps.js';

const CLIENTS = [
  { name: 'apify-client (current)', Client: CurrentClient, actorPrefix: '/v2/actors/' },
  { name: 'apify-client 2.23.3', Client: LegacyClient, actorPrefix: '/v2/acts/' },
] as const;

describeEachBackend('apify-client', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  for (const { name, Client, actorPrefix } of CLIENTS) {
    it(`${name}: start, call with its log, get, wait, list, log, items, update, resurrect, OUTPUT, abort, delete`, async () => {
      h = await startHarness(backend);
      const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
      const port = await listen(h);
      const paths: string[] = [];
      const make = (token: string) =>
        new Client({
          baseUrl: `http://127.0.0.1:${port}`,
          token,
          maxRetries: 0,
          requestInterceptors: [
            (config: { url?: string; params?: Record<string, unknown> }) => {
              const query = new URLSearchParams(
                Object.entries(config.params ?? {})
                  .filter(([, v]) => v !== undefined)
                  .map(([k, v]): [string, string] => [k, String(v)]),
              ).toString();
              paths.push(`${new URL(config.url ?? '').pathname}${query ? `?${query}` : ''}`);
              return config;
            },
          ],
        });
      const client = make(h.tokens.alice);

      const actor = await client.actor('alice/probe').get();
      expect(actor).toMatchObject({ id: app_id, name: 'probe' });
      const started = await client.actor('alice/probe').start({ text: 'a b c d e' });
      expect(started).toMatchObject({ actId: app_id, defaultDatasetId: started.id });
      expect(started.startedAt).toBeInstanceOf(Date);
      const done = await client.run(started.id).waitForFinish({ waitSecs: 30 });
      expect(done.status).toBe('SUCCEEDED');
      expect(done.finishedAt).toBeInstanceOf(Date);
      expect((await client.run(started.id).get())?.status).toBe('SUCCEEDED');
      expect(await client.run('no-such-run').get()).toBeUndefined();

      // call() with its default log: it reads the actor's name and streams the run's log.
      const called = await client.actor(app_id).call({ text: 'x' }, { waitSecs: 30 });
      expect(called.status).toBe('SUCCEEDED');
      // (Seen before the client serialises booleans as 1/0.)
      expect(paths).toContain(`/v2/actor-runs/${called.id}/log?stream=true&raw=true`);
      expect(paths).toContain(`${actorPrefix}${app_id}`);

      // Results: the dataset (through the run and by its id), the log, the OUTPUT record.
      const { items, total } = await client.run(started.id).dataset().listItems();
      expect(total).toBe(1);
      expect(items[0]).toMatchObject({ fileName: 'INPUT.json', className: 'Note' });
      const byId = await client.dataset(started.defaultDatasetId).listItems({ limit: 1 });
      expect(byId.items).toEqual(items);
      expect(await client.run(started.id).log().get()).toMatch(/\[status\] complete/);
      const output = await client.run(started.id).keyValueStore().getRecord('OUTPUT');
      expect(output?.value).toMatchObject({
        runId: started.id,
        status: 'SUCCEEDED',
        files: { total: 1, done: 1, failed: 0 },
      });
      const viaStore = await client
        .keyValueStore(started.defaultKeyValueStoreId)
        .getRecord('OUTPUT');
      expect(viaStore?.value).toEqual(output?.value);
      expect(await client.run(started.id).keyValueStore().getRecord('INPUT')).toBeUndefined();

      // Lists with filters; `total` is exact, so iterating pages stops where it should.
      const list = await client.runs().list({ desc: true });
      expect(list.items.map((r) => r.id)).toEqual([called.id, started.id]);
      expect(list.total).toBe(2);
      const page = await client.runs().list({ limit: 1, offset: 1, desc: true });
      expect(page).toMatchObject({ total: 2, count: 1, offset: 1, limit: 1 });
      expect(page.items.map((r) => r.id)).toEqual([started.id]);
      const succeeded = await client.actor(app_id).runs().list({ status: 'SUCCEEDED' });
      expect(succeeded.total).toBe(2);
      const since = await client.runs().list({ startedAfter: called.startedAt });
      expect(since.items.map((r) => r.id)).toContain(called.id);
      expect(since.items.every((r) => r.startedAt >= called.startedAt)).toBe(true);
      const none = await client.runs().list({ status: ['ABORTED', 'TIMED-OUT'] });
      expect(none).toMatchObject({ total: 0, items: [] });
      expect((await client.actor(app_id).lastRun().get())?.id).toBe(called.id);

      // Status message, then resurrection: the same run again, counted.
      const updated = await client.run(started.id).update({ statusMessage: 'checked by hand' });
      expect(updated).toMatchObject({ statusMessage: 'checked by hand' });
      const resurrected = await client.run(started.id).resurrect();
      expect(resurrected.id).toBe(started.id);
      expect(resurrected.stats.resurrectCount).toBe(1);
      const again = await client.run(started.id).waitForFinish({ waitSecs: 30 });
      expect(again.status).toBe('SUCCEEDED');
      expect((await client.run(started.id).dataset().listItems()).total).toBe(1);

      // Abort a run that waits for the abort signal; an unfinished run cannot be deleted.
      const batch = await createBatch(h, h.tokens.alice, { 'slow.txt': 'x' });
      const slow = await client.actor(app_id).start({ batch_id: batch });
      await waitForLog(h, h.tokens.alice, slow.id, 'started slow.txt');
      await expect(client.run(slow.id).delete()).rejects.toMatchObject({
        statusCode: 400,
        type: 'cannot-remove-running-run',
      });
      const aborting = await client.run(slow.id).abort({ gracefully: true });
      expect(['ABORTING', 'ABORTED']).toContain(aborting.status);
      expect((await client.run(slow.id).waitForFinish({ waitSecs: 30 })).status).toBe('ABORTED');
      await client.run(slow.id).delete();
      await expect(client.run(started.id).delete()).resolves.toBeUndefined();

      // Someone else's run: 403 for a member of the org, invisible to another org.
      const bob = make(h.tokens.bob);
      await expect(bob.run(called.id).delete()).rejects.toMatchObject({
        statusCode: 403,
        type: 'permission-denied',
      });
      expect(await make(h.tokens.eve).run(called.id).get()).toBeUndefined();
      // A deleted run is gone for the client too (its delete of a missing run succeeds).
      await client.run(slow.id).delete();

      expect(paths.some((p) => p.startsWith(actorPrefix))).toBe(true);
      const otherPrefix = actorPrefix === '/v2/acts/' ? '/v2/actors/' : '/v2/acts/';
      expect(paths.some((p) => p.startsWith(otherPrefix))).toBe(false);
    });
  }
});

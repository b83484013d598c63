import { describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from '../../src/store/migrations/index.js';
import { describeEachBackend, type BackendTarget } from '../helpers/backends.js';
import { newTarget, openOn, rawQuery } from './store-fixture.js';

const IDS = SQLITE_MIGRATIONS.map((m) => m.id);

describe('migration catalogue', () => {
  it('numbers the migrations of both backends the same, from 1 without gaps', () => {
    expect(POSTGRES_MIGRATIONS.map((m) => [m.id, m.name])).toEqual(
      SQLITE_MIGRATIONS.map((m) => [m.id, m.name]),
    );
    expect(IDS).toEqual(IDS.map((_, i) => i + 1));
  });
});

describeEachBackend('store migrations', (backend) => {
  async function appliedRows(target: BackendTarget) {
    const rows = await rawQuery(target, 'SELECT id FROM runbox_migrations ORDER BY id');
    return rows.map((r) => Number(r.id));
  }

  it('applies every migration to a fresh database, then has nothing left to apply', async () => {
    const target = newTarget(backend);
    const store = openOn(target);
    expect(await store.migrationStatus()).toEqual({
      applied: 0,
      known: IDS.length,
      current: false,
    });

    expect(await store.migrate()).toEqual(IDS);
    expect(await store.migrationStatus()).toEqual({
      applied: IDS.length,
      known: IDS.length,
      current: true,
    });
    expect(await store.orgs.count()).toBe(0);
    await expect(store.ping()).resolves.toBeUndefined();

    expect(await store.migrate()).toEqual([]);
    expect(await appliedRows(target)).toEqual(IDS);
  });

  it('remembers applied migrations across restarts', async () => {
    const target = newTarget(backend);
    const first = openOn(target);
    await first.migrate();
    await first.orgs.create({ id: 'acme', name: 'Acme', created_at: 1 });
    await first.close();

    const second = openOn(target);
    expect((await second.migrationStatus()).current).toBe(true);
    expect(await second.migrate()).toEqual([]);
    expect(await second.orgs.list()).toEqual([{ id: 'acme', name: 'Acme', created_at: 1 }]);
  });

  it('refuses a database that a newer Runbox has migrated, and changes nothing', async () => {
    const target = newTarget(backend);
    await openOn(target).migrate();
    await rawQuery(
      target,
      `INSERT INTO runbox_migrations (id, name, checksum, applied_at)
       VALUES (999, 'from-the-future', 'abc', 0)`,
    );

    const store = openOn(target);
    await expect(store.migrate()).rejects.toThrow(
      /migration 999 \(from-the-future\).*upgrade Runbox/,
    );
    expect(await appliedRows(target)).toEqual([...IDS, 999]);
  });

  it('refuses a database whose applied migration differs from this build', async () => {
    const target = newTarget(backend);
    await openOn(target).migrate();
    await rawQuery(target, `UPDATE runbox_migrations SET checksum = 'tampered' WHERE id = 1`);

    const store = openOn(target);
    await expect(store.migrate()).rejects.toThrow(
      /Migration 1 \(foundation\) in the database differs/,
    );
    const rows = await rawQuery(target, 'SELECT checksum FROM runbox_migrations WHERE id = 1');
    expect(rows).toEqual([{ checksum: 'tampered' }]);
  });

  it('lets several processes migrate one database at once; each migration runs once', async () => {
    const target = newTarget(backend);
    // Fresh stores: on Postgres each opens its first connections (and the schema) concurrently.
    const stores = [openOn(target), openOn(target), openOn(target), openOn(target)];

    const results = await Promise.all(stores.map((s) => s.migrate()));

    expect(results.flat().sort((a, b) => a - b)).toEqual(IDS);
    expect(await appliedRows(target)).toEqual(IDS);
    // Every store's connections work on this database (on Postgres: this schema, not `public`).
    for (const [i, s] of stores.entries()) {
      expect((await s.migrationStatus()).current).toBe(true);
      await s.orgs.create({ id: `org-${i}`, name: 'Org', created_at: 1 });
    }
    const orgs = await rawQuery(target, 'SELECT id FROM orgs ORDER BY id');
    expect(orgs.map((o) => o.id)).toEqual(stores.map((_, i) => `org-${i}`));
  });
});

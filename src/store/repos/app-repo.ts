import { sql, type Kysely } from 'kysely';
import type { BackendOps } from '../backend-ops.js';
import { Precompiled } from '../precompiled.js';
import type { App, AppVersion, Database } from '../schema.js';

const APP_BY_NAME = new Precompiled<{ orgId: string; name: string }, App>((db, p) =>
  db.selectFrom('apps').selectAll().where('org_id', '=', p('orgId')).where('name', '=', p('name')),
);

const VERSION = new Precompiled<{ appId: string; version: string }, AppVersion>((db, p) =>
  db
    .selectFrom('app_versions')
    .selectAll()
    .where('app_id', '=', p('appId'))
    .where('version', '=', p('version')),
);

const NEWEST_VERSION = new Precompiled<{ appId: string }, AppVersion>((db, p) =>
  db
    .selectFrom('app_versions')
    .selectAll()
    .where('app_id', '=', p('appId'))
    .orderBy('created_at', 'desc')
    .orderBy('version', 'desc')
    .limit(1),
);

/**
 * An app by name with the name of its newest version, in one read that stays in the
 * `app_versions_newest` index (the manifest is not read: versions are immutable, so callers
 * keep them).
 */
const NEWEST_REF_BY_NAME = new Precompiled<
  { orgId: string; name: string },
  App & { newest_version: string }
>((db, p) =>
  db
    .selectFrom('apps')
    .innerJoin('app_versions', 'app_versions.app_id', 'apps.id')
    .selectAll('apps')
    .select('app_versions.version as newest_version')
    .where('apps.org_id', '=', p('orgId'))
    .where('apps.name', '=', p('name'))
    .orderBy('app_versions.created_at', 'desc')
    .orderBy('app_versions.version', 'desc')
    .limit(1),
);

export class AppRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ops: BackendOps,
  ) {}

  async create(app: App): Promise<void> {
    await this.db.insertInto('apps').values(app).execute();
    await this.ops.changed(this.db, 'apps');
  }

  async get(orgId: string, id: string): Promise<App | undefined> {
    return this.db
      .selectFrom('apps')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async byName(orgId: string, name: string): Promise<App | undefined> {
    return APP_BY_NAME.first(this.db, { orgId, name });
  }

  async list(orgId: string, limit: number, offset: number): Promise<App[]> {
    return this.db
      .selectFrom('apps')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('name')
      .limit(limit)
      .offset(offset)
      .execute();
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('apps').set({ updated_at: now }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('apps').where('id', '=', id).execute();
    await this.ops.changed(this.db, 'apps');
  }

  /** A new version, which becomes the app's newest. */
  async addVersion(v: AppVersion): Promise<void> {
    await this.db.insertInto('app_versions').values(v).execute();
    await this.ops.changed(this.db, 'apps');
  }

  async version(appId: string, version: string): Promise<AppVersion | undefined> {
    return VERSION.first(this.db, { appId, version });
  }

  /** An app by name and the name of its newest version; undefined when either does not exist. */
  async newestRefByName(
    orgId: string,
    name: string,
  ): Promise<{ app: App; newestVersion: string } | undefined> {
    const row = await NEWEST_REF_BY_NAME.first(this.db, { orgId, name });
    if (!row) return undefined;
    const { newest_version, ...app } = row;
    return { app, newestVersion: newest_version };
  }

  /** The most recently published version: the default when a run names none. */
  async newest(appId: string): Promise<AppVersion | undefined> {
    return NEWEST_VERSION.first(this.db, { appId });
  }

  /** The newest version of each of `appIds`, in one query (for a page of apps). */
  async newestVersions(appIds: string[]): Promise<Map<string, string>> {
    if (appIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom((eb) =>
        eb
          .selectFrom('app_versions')
          .select([
            'app_id',
            'version',
            sql<number>`ROW_NUMBER() OVER (PARTITION BY app_id ORDER BY created_at DESC, version DESC)`.as(
              'rank',
            ),
          ])
          .where('app_id', 'in', appIds)
          .as('v'),
      )
      .select(['v.app_id', 'v.version'])
      .where('v.rank', '=', 1)
      .execute();
    return new Map(rows.map((r) => [r.app_id, r.version]));
  }

  async versions(appId: string): Promise<AppVersion[]> {
    return this.db
      .selectFrom('app_versions')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('created_at', 'desc')
      .orderBy('version', 'desc')
      .execute();
  }

  /** True while any run of the app is not finished (deleting the app is refused then). */
  async hasActiveRuns(appId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('runs')
      .select('id')
      .where('app_id', '=', appId)
      .where('state', 'in', ['queued', 'running', 'cancelling', 'stopped_at_checkpoint'])
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Every package key of the app's versions (to delete the stored archives). */
  async packageKeys(appId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('app_versions')
      .select('package_key')
      .where('app_id', '=', appId)
      .execute();
    return rows.map((r) => r.package_key);
  }
}

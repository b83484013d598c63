import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Blobs, ByteSource } from '../blobs/blobs.js';
import { ByteCounter } from '../blobs/byte-counter.js';
import {
  conflict,
  invalidInput,
  isRunboxError,
  notFound,
  permissionDenied,
} from '../contract/errors.js';
import { MANIFEST_FILE, parseManifest, type Manifest } from '../domain/manifest.js';
import type { Sources } from '../domain/sources.js';
import { extractPackage } from '../engine/packages/extract-package.js';
import type { App, AppVersion } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isAdmin, type Principal } from './principal.js';

export interface AppInfo {
  id: string;
  name: string;
  owner: string;
  description: string | null;
  latest_version: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface AppVersionInfo {
  app_id: string;
  version: string;
  runtime: Manifest['runtime'];
  description: string | null;
  created_by: string;
  created_at_ms: number;
  manifest: Manifest;
}

export const MAX_PACKAGE_BYTES = 100 * 1000 * 1000;

/** Published versions, and apps by name with their newest version, kept in memory. */
const MAX_KEPT = 1_000;

/** Publishing and browsing apps. A version, once published, never changes. */
export class AppService {
  private readonly kept = new Map<string, { version: AppVersion; manifest: Manifest }>();
  /** By org and name; valid while `changes.epoch('apps')` is what it was when read. */
  private readonly newestByName = new Map<
    string,
    { epoch: string; app: App; newestVersion: string }
  >();

  constructor(
    private readonly store: Store,
    private readonly blobs: Blobs,
    private readonly sources: Sources,
    /** A local scratch folder for unpacking uploads. */
    private readonly tmpDir: string,
  ) {}

  /**
   * Publishes a package (tar.gz or zip with `runbox.app.json`): the archive is spooled to
   * disk, unpacked and checked (manifest, entry present) before anything is recorded.
   */
  async publish(p: Principal, body: ByteSource): Promise<AppVersionInfo> {
    await mkdir(this.tmpDir, { recursive: true });
    const work = await mkdtemp(join(this.tmpDir, 'publish-'));
    try {
      const archive = join(work, 'package.archive');
      await pipeline(
        body,
        new ByteCounter({ maxBytes: MAX_PACKAGE_BYTES }),
        createWriteStream(archive),
      );
      const unpacked = join(work, 'unpacked');
      await mkdir(unpacked);
      const root = await extractPackage(archive, unpacked, MANIFEST_FILE).catch(notAPackage);
      const manifest = parseManifest(await readFile(join(root, MANIFEST_FILE), 'utf8'));
      const entry = await stat(join(root, manifest.entry)).catch(() => undefined);
      if (!entry?.isFile()) {
        throw invalidInput(
          `${MANIFEST_FILE}: entry "${manifest.entry}" is not a file in the package.`,
        );
      }
      if (manifest.runtime === 'command' && (entry.mode & 0o111) === 0) {
        throw invalidInput(
          `${MANIFEST_FILE}: entry "${manifest.entry}" must be executable for the command runtime.`,
        );
      }
      return await this.record(p, manifest, archive);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async record(p: Principal, manifest: Manifest, archive: string): Promise<AppVersionInfo> {
    const now = this.sources.clock.now();
    const existing = await this.store.apps.byName(p.orgId, manifest.name);
    if (existing && existing.owner !== p.userId && !isAdmin(p)) {
      throw permissionDenied(
        `Only ${existing.owner} or an org admin may publish versions of ${manifest.name}.`,
      );
    }
    if (existing && (await this.store.apps.version(existing.id, manifest.version))) {
      throw conflict(
        `${manifest.name} ${manifest.version} is already published; versions are immutable.`,
      );
    }
    const appId = existing?.id ?? this.sources.ids.uuid();
    const key = `apps/${appId}/${manifest.version}-${this.sources.ids.uuid()}.pkg`;
    const { size } = await this.blobs.write(key, createReadStream(archive));
    const version: AppVersion = {
      app_id: appId,
      version: manifest.version,
      manifest: JSON.stringify(manifest),
      package_key: key,
      package_size: size,
      created_by: p.userId,
      created_at: now,
    };
    try {
      await this.store.transaction(async (tx) => {
        const app = await tx.apps.byName(p.orgId, manifest.name);
        if (!app) {
          await tx.apps.create({
            id: appId,
            org_id: p.orgId,
            name: manifest.name,
            owner: p.userId,
            description: manifest.description ?? null,
            created_at: now,
            updated_at: now,
          });
        } else if (app.id !== appId) {
          throw conflict(`${manifest.name} was published concurrently; try again.`);
        } else {
          await tx.apps.touch(appId, now);
        }
        await tx.apps.addVersion(version);
      });
    } catch (err) {
      await this.blobs.delete(key);
      throw err;
    }
    return toVersionInfo(version);
  }

  async list(
    p: Principal,
    q: { limit?: number | undefined; offset?: number | undefined },
  ): Promise<AppInfo[]> {
    const apps = await this.store.apps.list(p.orgId, q.limit ?? 100, q.offset ?? 0);
    const newest = await this.store.apps.newestVersions(apps.map((a) => a.id));
    return apps.map((a) => toAppInfo(a, newest.get(a.id) ?? null));
  }

  async get(p: Principal, appId: string): Promise<AppInfo> {
    return this.info(await this.visible(p, appId));
  }

  async versions(p: Principal, appId: string): Promise<AppVersionInfo[]> {
    const app = await this.visible(p, appId);
    return (await this.store.apps.versions(app.id)).map(toVersionInfo);
  }

  /** Deletes an app and its packages; refused while any of its runs is unfinished. */
  async delete(p: Principal, appId: string): Promise<void> {
    const app = await this.visible(p, appId);
    if (app.owner !== p.userId && !isAdmin(p)) {
      throw permissionDenied('Only the app owner or an org admin may delete it.');
    }
    if (await this.store.apps.hasActiveRuns(app.id)) {
      throw conflict('The app has runs that are not finished; cancel them first.');
    }
    const keys = await this.store.apps.packageKeys(app.id);
    await this.store.apps.delete(app.id);
    for (const k of keys) await this.blobs.delete(k);
  }

  /**
   * Resolves what a run names: `app_id`, or `app_name` (+ optional `owner`), at `version` or
   * the newest one.
   */
  async resolve(
    p: Principal,
    ref: {
      appId?: string | undefined;
      appName?: string | undefined;
      owner?: string | undefined;
      version?: string | undefined;
    },
  ): Promise<{ app: App; version: AppVersion; manifest: Manifest }> {
    if (ref.appName !== undefined && ref.appId === undefined && ref.version === undefined) {
      // The common case: by name, newest version; kept until apps change anywhere.
      const found = await this.newestRef(p.orgId, ref.appName);
      if (found && (ref.owner === undefined || found.app.owner === ref.owner)) {
        const v = await this.publishedVersion(found.app.id, found.newestVersion);
        if (v) return { app: found.app, ...v };
      }
    }
    const app = ref.appId
      ? await this.store.apps.get(p.orgId, ref.appId)
      : await this.store.apps.byName(p.orgId, ref.appName ?? '');
    if (!app || (ref.owner !== undefined && app.owner !== ref.owner)) {
      throw notFound(`App ${ref.appId ?? ref.appName}`);
    }
    const v = ref.version
      ? await this.publishedVersion(app.id, ref.version)
      : await this.publishedVersion(app.id, (await this.store.apps.newest(app.id))?.version);
    if (!v) throw notFound(`Version ${ref.version ?? '(any)'} of app ${app.name}`);
    return { app, ...v };
  }

  /** An app by name with the name of its newest version (one narrow read, or none). */
  private async newestRef(orgId: string, name: string) {
    const epoch = this.store.changes.epoch('apps');
    const key = `${orgId} ${name}`;
    const kept = this.newestByName.get(key);
    if (kept && kept.epoch === epoch) return kept;
    const found = await this.store.apps.newestRefByName(orgId, name);
    if (found && epoch !== undefined) {
      if (this.newestByName.size >= MAX_KEPT) this.newestByName.clear();
      this.newestByName.set(key, { epoch, ...found });
    }
    return found;
  }

  /**
   * A published version with its parsed manifest. Versions are immutable and app ids are never
   * reused, so they are kept once read (callers have checked the app is still there).
   */
  private async publishedVersion(
    appId: string,
    version: string | undefined,
  ): Promise<{ version: AppVersion; manifest: Manifest } | undefined> {
    if (version === undefined) return undefined;
    const key = `${appId}@${version}`;
    const kept = this.kept.get(key);
    if (kept) return kept;
    const row = await this.store.apps.version(appId, version);
    if (!row) return undefined;
    const v = { version: row, manifest: JSON.parse(row.manifest) as Manifest };
    if (this.kept.size >= MAX_KEPT) this.kept.clear();
    this.kept.set(key, v);
    return v;
  }

  private async visible(p: Principal, appId: string): Promise<App> {
    const app = await this.store.apps.get(p.orgId, appId);
    if (!app) throw notFound(`App ${appId}`);
    return app;
  }

  private async info(a: App): Promise<AppInfo> {
    return toAppInfo(a, (await this.store.apps.newest(a.id))?.version ?? null);
  }
}

function toAppInfo(a: App, latest: string | null): AppInfo {
  return {
    id: a.id,
    name: a.name,
    owner: a.owner,
    description: a.description,
    latest_version: latest,
    created_at_ms: a.created_at,
    updated_at_ms: a.updated_at,
  };
}

/**
 * A damaged archive (truncated gzip, corrupt tar, a zip entry yauzl itself refuses) is the
 * client's bad input, not a server fault; only system errors (disk full, …) stay internal.
 */
function notAPackage(err: unknown): never {
  if (isRunboxError(err) || (err instanceof Error && 'syscall' in err)) throw err;
  throw invalidInput(`The package could not be unpacked: ${(err as Error).message ?? String(err)}`);
}

function toVersionInfo(v: AppVersion): AppVersionInfo {
  const manifest = JSON.parse(v.manifest) as Manifest;
  return {
    app_id: v.app_id,
    version: v.version,
    runtime: manifest.runtime,
    description: manifest.description ?? null,
    created_by: v.created_by,
    created_at_ms: v.created_at,
    manifest,
  };
}

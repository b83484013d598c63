import type { Transport } from '../transport.js';
import type { AppInfo, AppVersionInfo } from '../types.js';
import { openSource, uploadBody, type UploadSource } from '../upload-source.js';
import { Deployments } from './deployments.js';
import { Runs } from './runs.js';

/** Apps: publish versions, browse them; their runs and deployments hang off here. */
export class Apps {
  /** Runs of apps (`runbox.apps.runs.create(…)`). */
  readonly runs: Runs;
  /** Deployments: apps with stored settings (`runbox.apps.deployments.run(…)`). */
  readonly deployments: Deployments;

  constructor(private readonly t: Transport) {
    this.runs = new Runs(t);
    this.deployments = new Deployments(t);
  }

  /**
   * Publishes an app version from a `.tar.gz` or `.zip` package (a path, bytes or a Blob) with
   * `runbox.app.json` at its root. (The CLI's `runbox apps publish DIR` packs a folder.)
   * @example const v = await runbox.apps.publish('./invoice-extractor-1.2.0.tar.gz');
   */
  async publish(pkg: UploadSource): Promise<AppVersionInfo> {
    const src = await openSource(pkg);
    try {
      return await this.t.callJson(
        'publishApp',
        {},
        { body: await uploadBody(src), headers: { 'content-type': 'application/octet-stream' } },
      );
    } finally {
      await src.close();
    }
  }

  /**
   * Apps of the context's org.
   * @example const { apps } = await runbox.apps.list();
   */
  list(query: { limit?: number; offset?: number } = {}): Promise<{ apps: AppInfo[] }> {
    return this.t.callJson('listApps', {}, { query });
  }

  /**
   * One app by id.
   * @example const app = await runbox.apps.get(appId);
   */
  get(id: string): Promise<AppInfo> {
    return this.t.callJson('getApp', { app_id: id });
  }

  /**
   * An app's versions, newest first, with their manifests.
   * @example const { versions } = await runbox.apps.versions(appId);
   */
  versions(id: string): Promise<{ versions: AppVersionInfo[] }> {
    return this.t.callJson('listAppVersions', { app_id: id });
  }

  /**
   * Deletes an app and all its versions (refused while runs of it are unfinished).
   * @example await runbox.apps.delete(appId);
   */
  async delete(id: string): Promise<void> {
    await this.t.call('deleteApp', { app_id: id });
  }
}

import { projectPath } from '../project-root.js';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { MANIFEST_FILE } from '../domain/manifest.js';
import type { AppService, AppVersionInfo } from './app-service.js';
import type { Principal } from './principal.js';

/** The example apps shipped with Runbox (`examples/` at the package root). */
export const EXAMPLES_DIR = projectPath('examples');

/**
 * Publishes every example app (each folder with a manifest) as `p`, packing it the way a user
 * would (`tar czf`). Used on the first start of an empty install, so a new user can run one
 * at once.
 */
export async function publishExamples(
  apps: AppService,
  p: Principal,
  dir: string = EXAMPLES_DIR,
): Promise<AppVersionInfo[]> {
  const published: AppVersionInfo[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const folder = join(dir, name);
    const manifest = await stat(join(folder, MANIFEST_FILE)).catch(() => undefined);
    if (!manifest?.isFile()) continue;
    const pack = tar.c({ gzip: true, cwd: folder, portable: true }, ['.']);
    published.push(await apps.publish(p, pack));
  }
  return published;
}

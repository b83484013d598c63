import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import type { Blobs } from '../../blobs/blobs.js';
import { MANIFEST_FILE } from '../../domain/manifest.js';
import { extractPackage } from './extract-package.js';

/**
 * Unpacked app versions on this machine's disk, fetched from blob storage on first use and
 * kept (a version never changes). Unpacking happens in a temp folder renamed into place, so a
 * crash mid-way leaves nothing half-unpacked.
 */
export class PackageCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly blobs: Blobs,
  ) {}

  /** The local folder holding `appId@version`'s package (its manifest at the root). */
  dir(appId: string, version: string, packageKey: string): Promise<string> {
    const id = `${appId}@${version}`;
    let p = this.pending.get(id);
    if (!p) {
      p = this.ensure(appId, version, packageKey);
      this.pending.set(id, p);
      p.catch(() => this.pending.delete(id));
    }
    return p;
  }

  private async ensure(appId: string, version: string, packageKey: string): Promise<string> {
    const target = join(this.root, appId, version);
    if (await exists(join(target, '.ready'))) return join(target, 'package');
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    await mkdir(join(this.root, appId), { recursive: true });
    const tmp = await mkdtemp(join(this.root, 'tmp', 'unpack-'));
    try {
      const archive = join(tmp, 'package.archive');
      await pipeline(await this.blobs.read(packageKey), createWriteStream(archive));
      const unpacked = join(tmp, 'unpacked');
      await mkdir(unpacked);
      const root = await extractPackage(archive, unpacked, MANIFEST_FILE);
      const built = join(tmp, 'version');
      await mkdir(built);
      await rename(root, join(built, 'package'));
      await writeFile(join(built, '.ready'), '');
      // One atomic rename publishes the version. If another process got there first, its copy
      // is used and ours dropped: a copy in use is never removed or replaced.
      await rename(built, target).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY') throw err;
        if (await exists(join(target, '.ready'))) return;
        // A half-made folder from an older layout: nobody can be using it.
        await rm(target, { recursive: true, force: true });
        await rename(built, target);
      });
      return join(target, 'package');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

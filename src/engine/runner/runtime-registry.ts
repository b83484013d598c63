import type { Manifest } from '../../domain/manifest.js';
import { MANIFEST_DEFAULTS } from '../../domain/manifest.js';
import { CommandRunner } from './command-runner.js';
import type { AppRuntime } from './file-task.js';
import { NodePool } from './node-pool.js';

/** One runtime per app version, created on first use and kept warm across runs. */
export class RuntimeRegistry {
  private readonly runtimes = new Map<string, AppRuntime>();

  constructor(private readonly graceMs: number) {}

  get(key: string, packageDir: string, manifest: Manifest): AppRuntime {
    let rt = this.runtimes.get(key);
    if (!rt) {
      const concurrency = manifest.concurrency ?? MANIFEST_DEFAULTS.concurrency;
      rt =
        manifest.runtime === 'node'
          ? new NodePool({
              packageDir,
              entry: manifest.entry,
              memoryMb: manifest.memory_mb ?? MANIFEST_DEFAULTS.memory_mb,
              concurrency,
              graceMs: this.graceMs,
            })
          : new CommandRunner({
              packageDir,
              entry: manifest.entry,
              concurrency,
              graceMs: this.graceMs,
            });
      this.runtimes.set(key, rt);
    }
    return rt;
  }

  async close(): Promise<void> {
    const all = [...this.runtimes.values()];
    this.runtimes.clear();
    await Promise.all(all.map((r) => r.close()));
  }
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileTask } from '../../src/engine/runner/file-task.js';

/** Writes `contents` as input file `name` in `dir` and returns a task for it that records its log lines. */
export function fileTask(
  dir: string,
  name: string,
  contents: string,
  over: Partial<FileTask> = {},
): FileTask & { logs: string[] } {
  const path = join(dir, name);
  writeFileSync(path, contents);
  const logs: string[] = [];
  return {
    id: name,
    fairKey: 'acme',
    file: { name, path, size: Buffer.byteLength(contents) },
    keys: { currency: 'EUR' },
    secrets: {},
    outputDir: dir,
    deadline: Date.now() + 20_000,
    onLog: (l) => logs.push(l),
    logs,
    ...over,
  };
}

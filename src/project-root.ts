import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * A path inside the installed package (examples, the app host, package.json), the same whether
 * the code runs from `src/` through tsx or compiled under `dist/`.
 */
export function projectPath(...parts: string[]): string {
  if (root === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'runtime'))) {
      const up = dirname(dir);
      if (up === dir) throw new Error('The Runbox package root was not found.');
      dir = up;
    }
    root = dir;
  }
  return join(root, ...parts);
}

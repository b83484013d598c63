/**
 * The SDK runs in browsers too: no dependencies, and nothing of Node imported up front (a file
 * path upload loads `node:fs` only when it is used).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../client');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('SDK portability', () => {
  it('has no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('imports nothing at run time but its own modules (types and lazy node: imports aside)', () => {
    const files = sources(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)'/gm)]
        .map((m) => m[1]!)
        // Relative imports must stay inside the SDK; the server's contract is imported for types only.
        .filter((spec) => !(spec.startsWith('.') && !spec.includes('/src/contract/')))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});

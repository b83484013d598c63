/**
 * Before the suite: compiles the sources (`tsc -p tsconfig.build.json --noCheck`, incremental,
 * so seconds when little changed; type-checking is `npm run typecheck`'s, not done twice). Every child process the tests start runs `node bin/runbox.js`, which
 * takes the compiled CLI when there is one: the tests then run what `npm run build` ships, built
 * from this very tree, and each process starts about a second sooner than through tsx.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

#!/usr/bin/env node
// Runs the compiled CLI when it has been built, and the TypeScript sources through tsx otherwise,
// so a clone works with no build step.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  // Loaded before tsx's hooks are installed: every module loaded after them costs a round trip
  // to the hooks thread, and the query builder alone is ~280 files (about 0.4 s per command).
  await import('kysely');
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}

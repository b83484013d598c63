// Builds the dashboard (dashboard/dist) when the bundle is missing or older than its sources.
// Run by `npm install` (prepare) and `npm start` (prestart), so a clone serves it with no extra
// step; `--force` builds regardless. Without Vite (a production install) it says so and leaves
// whatever bundle there is.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dashboard = join(root, 'dashboard');
const bundle = join(dashboard, 'dist', 'index.html');
const sources = [
  join(dashboard, 'src'),
  join(dashboard, 'index.html'),
  join(dashboard, 'vite.config.mjs'),
  join(root, 'client', 'src'),
  // The pure modules the page imports (run statuses, page names).
  join(root, 'src', 'domain'),
  join(root, 'src', 'contract'),
];

/** The newest modification time under `path` (a file or a folder). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let t = 0;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

export function dashboardIsStale() {
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  return sources.some((s) => newest(s) > built);
}

export async function buildDashboard({ force = false, quiet = false } = {}) {
  if (!force && !dashboardIsStale()) return false;
  let vite;
  try {
    vite = await import('vite');
  } catch {
    process.stderr.write('The dashboard was not built: Vite is not installed (npm install).\n');
    return false;
  }
  // Always the production bundle, whatever the caller's NODE_ENV (a test runner sets `test`,
  // which would give React's development build).
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await vite.build({
      configFile: join(dashboard, 'vite.config.mjs'),
      // Loads the config as it is (no bundled copy written under node_modules).
      configLoader: 'native',
      mode: 'production',
      logLevel: quiet ? 'warn' : 'info',
    });
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildDashboard({ force: process.argv.includes('--force') });
}

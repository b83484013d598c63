import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshTarget } from '../helpers/backends.js';
import { cliProcesses, printedToken, storeEnv } from './process-helpers.js';

describe('runbox apps publish', () => {
  const cli = cliProcesses();

  it('packs a folder and publishes it; the same version again and a folder without a manifest are refused', async () => {
    const target = freshTarget('sqlite');
    const env = storeEnv(target);
    const server = await cli.serve(env);
    const token = await printedToken(server);
    const app = mkdtempSync(join(tmpdir(), 'runbox-app-'));
    writeFileSync(
      join(app, 'runbox.app.json'),
      JSON.stringify({ name: 'hello', version: '1.0.0', runtime: 'node', entry: 'index.mjs' }),
    );
    writeFileSync(join(app, 'index.mjs'), 'export default async () => [];');
    const apiRoot = `${server.url}/api`;

    const published = await cli.run(['apps', 'publish', app, '--api-root', apiRoot, '--json'], {
      ...env,
      RUNBOX_TOKEN: token,
    });
    expect(published.code).toBe(0);
    const version = JSON.parse(published.stdout) as { app_id: string; version: string };
    expect(version.version).toBe('1.0.0');
    const listed = (await (await server.api('/api/v2/apps', { token })).json()) as {
      apps: { id: string; name: string }[];
    };
    expect(listed.apps.find((a) => a.name === 'hello')?.id).toBe(version.app_id);

    // Without --token or RUNBOX_TOKEN the local install's admin token is used.
    const again = await cli.run(['apps', 'publish', app, '--api-root', apiRoot], env);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already published');
    expect(again.stderr).toContain('(conflict)');

    const empty = mkdtempSync(join(tmpdir(), 'runbox-empty-'));
    const bad = await cli.run(['apps', 'publish', empty, '--api-root', apiRoot], {
      ...env,
      RUNBOX_TOKEN: token,
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/no runbox\.app\.json.*\(invalid-input\)/);
  });
});

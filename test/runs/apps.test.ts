/**
 * Publishing and browsing apps (SPEC §4.2, §7): a version is immutable once published, an app
 * with unfinished runs cannot be deleted, and a bad package is refused with a message naming
 * what is wrong, leaving nothing behind.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createBatch, expectError, publish, publishOk, startRunOk } from './run-helpers.js';
import { commandApp, NODE_APP_SOURCE, nodeApp, writeApp } from './test-apps.js';
import { tarGz, zip } from './archives.js';

const MANIFEST = { name: 'bad', version: '1.0.0', runtime: 'node', entry: 'index.mjs' };
const ENTRY = { name: 'index.mjs', data: NODE_APP_SOURCE };

describeEachBackend('apps', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  /** No app listed and no package stored: a refused publish (or a deleted app) left nothing. */
  async function expectNoApps() {
    expect(await appList()).toEqual([]);
    expect(await h.runbox.blobs.list('apps')).toEqual([]);
  }

  async function appList(token = h.tokens.alice) {
    const res = await h.as(token, { method: 'GET', url: '/api/v2/apps' });
    expect(res.statusCode).toBe(200);
    return res.json<{ apps: { id: string; name: string; latest_version: string | null }[] }>().apps;
  }

  it('publishes versions, refuses a republished one, and lists, gets and versions them', async () => {
    h = await startHarness(backend);
    const first = await publish(h, h.tokens.alice, nodeApp('probe', '1.0.0'));
    expect(first.statusCode).toBe(201);
    const v1 = first.json<{ app_id: string; version: string; runtime: string; manifest: object }>();
    expect(v1).toMatchObject({
      version: '1.0.0',
      runtime: 'node',
      created_by: 'alice',
      manifest: { name: 'probe', version: '1.0.0', runtime: 'node', entry: 'index.mjs' },
    });

    const again = await publish(h, h.tokens.alice, nodeApp('probe', '1.0.0', { description: 'x' }));
    expect(expectError(again, 409, 'conflict')).toMatch(/1\.0\.0.*already published/);

    const v2 = await publishOk(h, h.tokens.alice, nodeApp('probe', '1.1.0'));
    expect(v2.app_id).toBe(v1.app_id);
    await publishOk(h, h.tokens.bob, commandApp('sizer'));

    const apps = await appList();
    expect(apps.map((a) => [a.name, a.latest_version])).toEqual([
      ['probe', '1.1.0'],
      ['sizer', '1.0.0'],
    ]);
    const get = await h.as(h.tokens.bob, { method: 'GET', url: `/api/v2/apps/${v1.app_id}` });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toMatchObject({ id: v1.app_id, name: 'probe', owner: 'alice' });
    const versions = await h.as(h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/${v1.app_id}/versions`,
    });
    expect(
      versions.json<{ versions: { version: string }[] }>().versions.map((v) => v.version),
    ).toEqual(['1.1.0', '1.0.0']);

    // Another org sees none of it.
    expect(await appList(h.tokens.eve)).toEqual([]);
    const hidden = await h.as(h.tokens.eve, { method: 'GET', url: `/api/v2/apps/${v1.app_id}` });
    expectError(hidden, 404, 'record-not-found');
    // Only the owner (or an admin) may publish more versions of an app.
    const foreign = await publish(h, h.tokens.bob, nodeApp('probe', '2.0.0'));
    expectError(foreign, 403, 'permission-denied');
  });

  it('refuses to delete an app while a run of it is unfinished, and deletes it after', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'one two' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });

    const refused = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/apps/${app_id}` });
    expect(expectError(refused, 409, 'conflict')).toMatch(/cancel/);
    expect((await appList()).map((a) => a.id)).toEqual([app_id]);
    const byBob = await h.as(h.tokens.bob, { method: 'DELETE', url: `/api/v2/apps/${app_id}` });
    expectError(byBob, 403, 'permission-denied');

    const cancel = await h.as(h.tokens.alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${run.id}/cancel`,
    });
    expect(cancel.json<{ status: string }>().status).toBe('CANCELLED');
    const del = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/apps/${app_id}` });
    expect(del.statusCode).toBe(204);
    expect(await appList()).toEqual([]);
    // Its stored packages are gone too.
    expect(await h.runbox.blobs.list(`apps/${app_id}`)).toEqual([]);
    const gone = await h.as(h.tokens.alice, { method: 'GET', url: `/api/v2/apps/${app_id}` });
    expectError(gone, 404, 'record-not-found');
    // The name is free again.
    await publishOk(h, h.tokens.bob, nodeApp());
  });

  it('refuses malformed manifests, naming the field', async () => {
    h = await startHarness(backend);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'x', version: '1.0.0', runtime: 'node' }, /entry/],
      [{ ...MANIFEST, version: '1.0' }, /version/],
      [{ ...MANIFEST, runtime: 'python' }, /runtime/],
      [{ ...MANIFEST, colour: 'red' }, /colour/],
    ];
    for (const [manifest, named] of cases) {
      const res = await publish(
        h,
        h.tokens.alice,
        tarGz([{ name: 'runbox.app.json', data: JSON.stringify(manifest) }, ENTRY]),
      );
      expect(expectError(res, 400, 'invalid-input'), JSON.stringify(manifest)).toMatch(named);
    }
    const notJson = await publish(
      h,
      h.tokens.alice,
      tarGz([{ name: 'runbox.app.json', data: '{ "name": ' }, ENTRY]),
    );
    expect(expectError(notJson, 400, 'invalid-input')).toMatch(/runbox\.app\.json.*JSON/);
    await expectNoApps();
  });

  it('refuses packages without their entry, without a manifest, or that are not archives', async () => {
    h = await startHarness(backend);
    const noEntry = await publish(
      h,
      h.tokens.alice,
      tarGz([
        { name: 'runbox.app.json', data: JSON.stringify({ ...MANIFEST, entry: 'main.mjs' }) },
        ENTRY,
      ]),
    );
    expect(expectError(noEntry, 400, 'invalid-input')).toMatch(/entry "main\.mjs"/);

    const notExecutable = writeApp(
      { name: 'cmd', version: '1.0.0', runtime: 'command', entry: 'run.sh' },
      { 'run.sh': '#!/bin/sh\necho []\n' },
    );
    const cmd = await publish(h, h.tokens.alice, notExecutable);
    expect(expectError(cmd, 400, 'invalid-input')).toMatch(/executable/);

    const noManifest = await publish(h, h.tokens.alice, tarGz([ENTRY]));
    expect(expectError(noManifest, 400, 'invalid-input')).toMatch(/runbox\.app\.json/);

    const text = await publish(h, h.tokens.alice, Buffer.from('just some text, not a package'));
    expect(expectError(text, 400, 'invalid-input')).toMatch(/\.tar\.gz or \.zip/);
    const empty = await publish(h, h.tokens.alice, Buffer.alloc(0));
    expectError(empty, 400, 'invalid-input');
    const truncated = await publish(
      h,
      h.tokens.alice,
      tarGz([{ name: 'runbox.app.json', data: JSON.stringify(MANIFEST) }, ENTRY]).subarray(0, 40),
    );
    expectError(truncated, 400, 'invalid-input');
    await expectNoApps();
  });

  it('refuses archives that would write outside the package', async () => {
    h = await startHarness(backend);
    const manifest = { name: 'runbox.app.json', data: JSON.stringify(MANIFEST) };
    const cases: [Buffer, RegExp][] = [
      [
        tarGz([manifest, ENTRY, { name: '../escape.txt', data: 'x' }]),
        /"\.\.\/escape\.txt".*unsafe/,
      ],
      [tarGz([manifest, ENTRY, { name: 'lib/../../escape.txt', data: 'x' }]), /unsafe/],
      [tarGz([manifest, ENTRY, { name: '/etc/escape.txt', data: 'x' }]), /unsafe/],
      [
        tarGz([manifest, ENTRY, { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]),
        /"passwd".*links outside/,
      ],
      [
        tarGz([manifest, ENTRY, { name: 'lib/up', type: 'symlink', linkname: '../../x' }]),
        /"lib\/up".*links outside/,
      ],
      [
        zip([
          { name: 'runbox.app.json', data: manifest.data },
          { name: '../zip-escape.txt', data: 'x' },
        ]),
        /zip-escape/,
      ],
      [
        zip([
          { name: 'runbox.app.json', data: manifest.data },
          ENTRY,
          { name: 'passwd', data: '/etc/passwd', mode: 0o120777 },
        ]),
        /"passwd".*symbolic link/,
      ],
    ];
    for (const [archive, named] of cases) {
      const res = await publish(h, h.tokens.alice, archive);
      expect(expectError(res, 400, 'invalid-input')).toMatch(named);
    }
    await expectNoApps();
  });

  it('publishes a zip package as well as a tar.gz, and an inside symlink is fine', async () => {
    h = await startHarness(backend);
    const fromZip = await publishOk(
      h,
      h.tokens.alice,
      zip([
        { name: 'runbox.app.json', data: JSON.stringify({ ...MANIFEST, name: 'zipped' }) },
        ENTRY,
      ]),
    );
    expect(fromZip.manifest).toMatchObject({ name: 'zipped' });
    const linked = await publishOk(
      h,
      h.tokens.alice,
      tarGz([
        { name: 'runbox.app.json', data: JSON.stringify({ ...MANIFEST, name: 'linked' }) },
        ENTRY,
        { name: 'lib', type: 'dir' },
        { name: 'lib/again.mjs', type: 'symlink', linkname: '../index.mjs' },
      ]),
    );
    expect(linked.version).toBe('1.0.0');
    expect((await appList()).map((a) => a.name)).toEqual(['linked', 'zipped']);
  });
});

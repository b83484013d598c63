import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clientSetup,
  failed,
  json,
  ok,
  runWithStdin,
  SAMPLES,
  SAMPLES_DIR,
} from './client-helpers.js';
import { cliProcesses } from './process-helpers.js';

describe('runbox apps, batches and jobs', () => {
  const cli = cliProcesses();

  it('publishes, lists and deletes apps; creates, fills, lists and deletes batches', async () => {
    const { run, appFolder } = await clientSetup(cli);
    const hello = appFolder({ name: 'hello' }, 'export default async () => [];');

    expect(ok(await run('apps', 'publish', hello))).toMatch(
      /^Published hello 1\.0\.0 \(app [0-9a-f-]{36}\)\.\n$/,
    );
    // The same version again: the server's conflict, exit 3.
    failed(await run('apps', 'publish', hello), 3, /already published.*\(conflict\)$/m);
    const [list, listJson, versions, versionsJson] = await Promise.all([
      run('apps', 'list'),
      run('apps', 'list', '--json'),
      run('apps', 'versions', 'hello'),
      run('apps', 'versions', 'invoice-extractor', '--json'),
    ]);
    expect(ok(list)).toMatch(/^NAME\s+LATEST\s+ID\s+OWNER\s+UPDATED\s+DESCRIPTION$/m);
    expect(ok(list)).toMatch(
      /^hello\s+1\.0\.0\s+[0-9a-f-]{36}\s+admin\s+(just now|\d+ seconds ago)$/m,
    );
    const apps = json<{ apps: { id: string; name: string }[] }>(listJson).apps;
    expect(apps.map((a) => a.name).sort()).toEqual(['hello', 'invoice-extractor', 'text-stats']);
    expect(ok(versions)).toMatch(
      /^VERSION\s+RUNTIME\s+PUBLISHED\s+BY\s+DESCRIPTION\n1\.0\.0\s+node\s+/,
    );
    expect(json<{ versions: { version: string }[] }>(versionsJson).versions).toMatchObject([
      { version: '1.0.0', runtime: 'node', manifest: { name: 'invoice-extractor' } },
    ]);
    const helloId = apps.find((a) => a.name === 'hello')!.id;
    expect(json(await run('apps', 'delete', helloId, '--json'))).toEqual({
      deleted: helloId,
      name: 'hello',
    });
    failed(
      await run('apps', 'versions', 'hello'),
      3,
      /^error: App hello not found\. \(record-not-found\)$/m,
    );

    // Batches: create, upload a folder's files, list them, delete and wait for the job.
    const created = json<{ id: number }>(await run('batches', 'create', 'invoices', '--json'));
    expect(ok(await run('batches', 'create', 'other'))).toMatch(
      /^Created batch \d+ \(other\)\.\n$/,
    );
    const id = String(created.id);
    expect(ok(await run('batches', 'upload', id, SAMPLES_DIR))).toBe(
      `Uploaded 3 files (1.3 kB) to batch ${id}.\n`,
    );
    const [files, filesJson, batches] = await Promise.all([
      run('batches', 'files', id),
      run('batches', 'files', id, '--json'),
      run('batches', 'list', '--json'),
    ]);
    expect(ok(files).split('\n')[0]).toMatch(/^NAME\s+SIZE\s+MODIFIED$/);
    expect(ok(files)).toMatch(/^invoice-1001\.txt\s+399 B\s+(just now|\d+ seconds ago)$/m);
    const nodes = json<{ nodes: { name: string; metadata: { size: number } }[] }>(filesJson).nodes;
    expect(nodes.map((n) => [n.name, n.metadata.size])).toEqual(
      SAMPLES.map((s) => [s, readFileSync(join(SAMPLES_DIR, s)).length]),
    );
    expect(json<{ batches: { name: string }[] }>(batches).batches.map((b) => b.name)).toEqual([
      'other',
      'invoices',
    ]);

    const deleting = json<{ job_id: string }>(await run('batches', 'delete', id, '--json'));
    const [waited, status] = await Promise.all([
      run('jobs', 'wait', deleting.job_id),
      run('jobs', 'status', deleting.job_id, '--json'),
    ]);
    expect(ok(waited)).toMatch(new RegExp(`^Job ${deleting.job_id} COMPLETE: Batch ${id} deleted`));
    expect(['PENDING', 'RUNNING', 'COMPLETE']).toContain(json<{ state: string }>(status).state);
    failed(await run('batches', 'files', id), 3, /\(record-not-found\)$/m);
    failed(
      await run('jobs', 'status', 'no-such-job'),
      3,
      /^error: Job no-such-job not found\. \(record-not-found\)$/m,
    );
  });
});

describe('runbox secrets and deployments', () => {
  const cli = cliProcesses();

  it('sets secrets without ever printing them; creates, runs, changes and deletes deployments', async () => {
    const { run, env } = await clientSetup(cli);
    const value = 'sk-live-5f3a9c-very-secret';

    expect(
      ok(await run('secrets', 'set', 'ocr', '--value', value, '--description', 'OCR key')),
    ).toBe('Created secret ocr.\n');
    // The alias exists: set changes it, the value read from stdin.
    const updated = await runWithStdin(['secrets', 'set', 'ocr', '--json'], env, `${value}-2\n`);
    expect(json(updated)).toMatchObject({
      alias: 'ocr',
      description: 'OCR key',
      allowed_workspaces_type: 'ALL',
    });
    const [list, listJson] = await Promise.all([
      run('secrets', 'list'),
      run('secrets', 'list', '--json'),
    ]);
    expect(ok(list)).toMatch(
      /^ALIAS\s+WORKSPACES\s+UPDATED\s+BY\s+DESCRIPTION\nocr\s+all\s+.*admin\s+OCR key$/m,
    );
    for (const r of [updated, list, listJson]) expect(r.stdout + r.stderr).not.toContain(value);

    const deployment = json<{ id: string; webhook_secret: string; keys: unknown }>(
      await run(
        'deployments',
        'create',
        'nightly',
        '--app',
        'invoice-extractor',
        '--key',
        'currency=CHF',
        '--secret',
        'OCR_API_KEY=ocr',
        '--webhook',
        'https://hooks.example.com/runbox',
        '--events',
        'run.completed,run.failed',
        '--json',
      ),
    );
    expect(deployment.keys).toEqual({
      custom: { currency: 'CHF' },
      secret: { OCR_API_KEY: 'ocr' },
    });
    expect(deployment.webhook_secret).toMatch(/^whsec_/);
    const [list2, show] = await Promise.all([
      run('deployments', 'list'),
      run('deployments', 'show', deployment.id),
    ]);
    expect(ok(list2)).toMatch(
      new RegExp(
        `^${deployment.id}\\s+nightly\\s+invoice-extractor\\s+latest\\s+app\\s+-\\s+1\\s+`,
        'm',
      ),
    );
    expect(ok(show)).toMatch(/^Keys\s+currency=CHF$/m);
    expect(ok(show)).toMatch(/^Secrets\s+OCR_API_KEY → ocr$/m);
    expect(ok(show)).toMatch(
      /^Webhooks\s+https:\/\/hooks\.example\.com\/runbox \(run\.completed, run\.failed\)$/m,
    );
    // Shown once: not when read back.
    expect(ok(show)).not.toContain(deployment.webhook_secret);

    const changed = json<{ concurrency_limit: number | null; review_policy: string | null }>(
      await run(
        'deployments',
        'update',
        deployment.id,
        '--concurrency',
        '2',
        '--review-policy',
        'never',
        '--json',
      ),
    );
    expect(changed).toMatchObject({ concurrency_limit: 2, review_policy: 'never' });

    // A run through the deployment, over a local file: its stored key reaches the app.
    const ran = await run(
      'deployments',
      'run',
      deployment.id,
      join(SAMPLES_DIR, 'invoice-1001.txt'),
      '--wait',
      '--json',
    );
    const results = json<{
      status: string;
      keys: { custom: Record<string, unknown> };
      files: unknown[];
    }>(ran);
    expect(results).toMatchObject({ status: 'COMPLETE', keys: { custom: { currency: 'CHF' } } });
    expect(results.files).toHaveLength(1);
    // `run APP --deployment` refuses a deployment of another app.
    failed(
      await run(
        'run',
        'text-stats',
        '--deployment',
        deployment.id,
        join(SAMPLES_DIR, 'invoice-1001.txt'),
      ),
      2,
      /^error: Deployment nightly runs invoice-extractor, not text-stats/m,
    );

    expect(ok(await run('deployments', 'delete', deployment.id))).toBe(
      `Deleted deployment ${deployment.id}.\n`,
    );
    failed(await run('deployments', 'show', deployment.id), 3, /\(record-not-found\)$/m);
    expect(ok(await run('secrets', 'delete', 'ocr'))).toBe('Deleted secret ocr.\n');
    expect(json(await run('secrets', 'list', '--json'))).toEqual({ secrets: [] });
  });
});

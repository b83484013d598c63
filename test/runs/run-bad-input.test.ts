/**
 * Every bad `POST /v2/apps/runs` named in SPEC §4.1 and §6 is refused with its error type and
 * status, a message naming the problem, and nothing created: no run, no copied input.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  expectError,
  listRuns,
  publishOk,
  startRun,
  startRunOk,
  writeFolder,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

const FOLDER = 'acme/alice/fs/Runbox Drive/in';

describeEachBackend('bad run input', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  /** Nothing of a run exists anywhere: not listed in either org, no input copied. */
  async function expectNoRuns() {
    expect(await listRuns(h, h.tokens.alice, '?from_timestamp=0')).toEqual([]);
    expect(await listRuns(h, h.tokens.eve, '?from_timestamp=0')).toEqual([]);
    expect(await h.runbox.blobs.list('runs')).toEqual([]);
  }

  async function setup() {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': 'a' });
    await writeFolder(h, h.tokens.alice, FOLDER, { 'x.txt': 'x' });
    return { app_id, batch };
  }

  type Case = [string, Record<string, unknown>, number, string, RegExp];

  async function refuse(cases: Case[], token = h.tokens.alice) {
    for (const [what, body, status, type, message] of cases) {
      const res = await startRun(h, token, body);
      expect(expectError(res, status, type), what).toMatch(message);
    }
    await expectNoRuns();
  }

  it('refuses unknown apps and versions, and both or neither of app_name and app_id', async () => {
    const { app_id, batch } = await setup();
    await refuse([
      ['unknown name', { app_name: 'nope', batch_id: batch }, 404, 'record-not-found', /nope/],
      [
        'unknown id',
        { app_id: '3f1d7d0e-0000-4000-8000-000000000000', batch_id: batch },
        404,
        'record-not-found',
        /App/,
      ],
      [
        'unknown version',
        { app_id, version: '9.9.9', batch_id: batch },
        404,
        'record-not-found',
        /9\.9\.9/,
      ],
      [
        'other owner',
        { app_name: 'probe', owner: 'bob', batch_id: batch },
        404,
        'record-not-found',
        /probe/,
      ],
      [
        'both',
        { app_name: 'probe', app_id, batch_id: batch },
        400,
        'invalid-input',
        /app_name.*app_id/,
      ],
      ['neither', { batch_id: batch }, 400, 'invalid-input', /app_name.*app_id/],
    ]);
    // Another org cannot run acme's app.
    const res = await startRun(h, h.tokens.eve, {
      app_id,
      input_dir: 'globex/eve/fs/Runbox Drive/x',
    });
    expectError(res, 404, 'record-not-found');
    await expectNoRuns();
  });

  it("refuses both or neither input, other orgs' and others' batches, and empty inputs", async () => {
    const { app_id, batch } = await setup();
    const evesBatch = await createBatch(h, h.tokens.eve, { 'e.txt': 'e' });
    const empty = await createBatch(h, h.tokens.alice, {});
    await refuse([
      [
        'both',
        { app_id, batch_id: batch, input_dir: FOLDER },
        400,
        'invalid-input',
        /batch_id.*input_dir/,
      ],
      ['neither', { app_id }, 400, 'invalid-input', /batch_id.*input_dir/],
      [
        'other org',
        { app_id, batch_id: evesBatch },
        404,
        'record-not-found',
        new RegExp(`Batch ${evesBatch}`),
      ],
      ['unknown', { app_id, batch_id: 999999 }, 404, 'record-not-found', /Batch 999999/],
      ['zero', { app_id, batch_id: 0 }, 400, 'invalid-input', /batch_id/],
      ['not a number', { app_id, batch_id: 'one' }, 400, 'invalid-input', /batch_id/],
      ['empty', { app_id, batch_id: empty }, 400, 'invalid-input', /no files/],
    ]);
    // Bob may not use alice's personal batch (or folder).
    await refuse(
      [
        ['alice batch', { app_id, batch_id: batch }, 404, 'record-not-found', /Batch/],
        ['alice folder', { app_id, input_dir: FOLDER }, 404, 'record-not-found', /in/],
      ],
      h.tokens.bob,
    );
  });

  it('refuses input folders that escape the context or are not there', async () => {
    const { app_id } = await setup();
    await writeFolder(h, h.tokens.eve, 'globex/eve/fs/Runbox Drive/in', { 'e.txt': 'e' });
    await refuse([
      [
        'dot-dot',
        { app_id, input_dir: `${FOLDER}/../../../../globex/eve/fs/Runbox Drive/in` },
        400,
        'invalid-input',
        /\.\./,
      ],
      ['dot-dot at end', { app_id, input_dir: `${FOLDER}/..` }, 400, 'invalid-input', /\.\./],
      ['absolute', { app_id, input_dir: '/etc' }, 400, 'invalid-input', /path/],
      ['nul', { app_id, input_dir: `${FOLDER}\u0000x` }, 400, 'invalid-input', /path/],
      [
        'other org',
        { app_id, input_dir: 'globex/eve/fs/Runbox Drive/in' },
        404,
        'record-not-found',
        /globex/,
      ],
      [
        'missing',
        { app_id, input_dir: 'acme/alice/fs/Runbox Drive/none' },
        404,
        'record-not-found',
        /none/,
      ],
      ['a file', { app_id, input_dir: `${FOLDER}/x.txt` }, 404, 'record-not-found', /x\.txt/],
      [
        'unknown drive',
        { app_id, input_dir: 'acme/alice/fs/C:/in' },
        400,
        'invalid-input',
        /drive/i,
      ],
    ]);
  });

  it('refuses long tags, unknown fields, bad timeouts and bad outputs; accepts 500 characters of tags', async () => {
    const { app_id, batch } = await setup();
    const base = { app_id, batch_id: batch };
    await refuse([
      [
        'tags 501',
        { ...base, settings: { tags: ['x'.repeat(300), 'y'.repeat(201)] } },
        400,
        'invalid-input',
        /tags.*500/,
      ],
      ['unknown field', { ...base, colour: 'red' }, 400, 'invalid-input', /colour/],
      ['unknown setting', { ...base, settings: { speed: 'fast' } }, 400, 'invalid-input', /speed/],
      [
        'unknown key kind',
        { ...base, settings: { keys: { public: {} } } },
        400,
        'invalid-input',
        /public/,
      ],
      ['tags not strings', { ...base, settings: { tags: [1] } }, 400, 'invalid-input', /tags/],
      [
        'timeout 0',
        { ...base, settings: { runtime_config: { timeout_seconds: 0 } } },
        400,
        'invalid-input',
        /timeout_seconds/,
      ],
      [
        'timeout 8 days',
        { ...base, settings: { runtime_config: { timeout_seconds: 8 * 86400 } } },
        400,
        'invalid-input',
        /timeout_seconds/,
      ],
      [
        'unknown workspace',
        { ...base, output_workspace: 'nowhere' },
        404,
        'record-not-found',
        /nowhere/,
      ],
      ['bad output_dir', { ...base, output_dir: '../out' }, 400, 'invalid-input', /\.\./],
    ]);
    const malformed = await h.as(h.tokens.alice, {
      method: 'POST',
      url: '/api/v2/apps/runs',
      payload: '{"app_id": ',
      headers: { 'content-type': 'application/json' },
    });
    expectError(malformed, 400, 'invalid-input');
    await expectNoRuns();

    const ok = await startRunOk(h, h.tokens.alice, {
      ...base,
      settings: { tags: ['x'.repeat(300), 'y'.repeat(200)] },
    });
    expect(ok.tags).toEqual(['x'.repeat(300), 'y'.repeat(200)]);
  });

  it('requires an output workspace or folder from a service account', async () => {
    const { app_id } = await setup();
    const batch = await createBatch(
      h,
      h.tokens.robot,
      { 'r.txt': 'r' },
      { name: 'r', workspace: 'shared' },
    );
    await refuse(
      [
        [
          'no output',
          { app_id, batch_id: batch },
          400,
          'invalid-input',
          /output_workspace or output_dir/,
        ],
      ],
      h.tokens.robot,
    );
    const ok = await startRunOk(h, h.tokens.robot, {
      app_id,
      batch_id: batch,
      output_workspace: 'shared',
    });
    expect(ok.status).toBe('RUNNING');
  });

  it('refuses a run over more files than the limit (413) and creates nothing', async () => {
    h = await startHarness(backend, { RUNBOX_WORKERS: 'false', RUNBOX_MAX_RUN_FILES: '3' });
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const files = { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd.txt': 'd' };
    const batch = await createBatch(h, h.tokens.alice, files);
    await writeFolder(h, h.tokens.alice, FOLDER, files);
    await refuse([
      ['batch', { app_id, batch_id: batch }, 413, 'payload-too-large', /at most 3 files/],
      ['folder', { app_id, input_dir: FOLDER }, 413, 'payload-too-large', /at most 3 files/],
    ]);
  });
});

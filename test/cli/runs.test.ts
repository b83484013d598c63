import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clientSetup,
  describe as show,
  failed,
  json,
  ok,
  SAMPLES,
  SAMPLES_DIR,
  STACK_FRAME,
} from './client-helpers.js';
import { cliProcesses } from './process-helpers.js';

const SAMPLE_PATHS = SAMPLES.map((s) => join(SAMPLES_DIR, s));

interface Results {
  id: string;
  status: string;
  files: {
    original_file_name: string;
    documents: {
      fields: { field_name: string; value: string; confidence?: { model: number } }[];
    }[];
  }[];
}

const fieldsOf = (r: Results, file: string) =>
  Object.fromEntries(
    r.files
      .find((f) => f.original_file_name === file)!
      .documents[0]!.fields.map((f) => [f.field_name, f.value]),
  );

describe('runbox run and runs', () => {
  const cli = cliProcesses();

  it('runs the example app over its samples and prints the fields; lists, reads and deletes the run', async () => {
    const { run } = await clientSetup(cli);

    // The README's first example, on a fresh embedded install with no login.
    const text = ok(await run('run', 'invoice-extractor', ...SAMPLE_PATHS, '--wait'));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Uploaded 3 files \(1\.3 kB\) to batch \d+\.$/);
    const runId = /^Started run (\S+) \(invoice-extractor\)\.$/.exec(lines[1]!)?.[1];
    expect(runId, text).toBeDefined();
    expect(lines[2]).toMatch(new RegExp(`^Run ${runId} COMPLETE in \\S+: Completed`));
    expect(lines[4]).toMatch(/^FILE\s+FIELD\s+VALUE\s+CONFIDENCE$/);
    expect(text).toMatch(/^invoice-1001\.txt\s+invoice_number\s+INV-1001\s+0\.98$/m);
    expect(text).toMatch(/^invoice-1001\.txt\s+total\s+202\.8\s+0\.93$/m);
    expect(text).toMatch(/^invoice-1002\.csv\s+vendor\s+Northwind Traders\s+0\.90$/m);
    expect(text).toMatch(/^invoice-1003\.pdf\s+invoice_number\s+INV-1003\s+0\.98$/m);
    // Columns line up: every value starts where the header's VALUE does.
    const at = lines[4]!.indexOf('VALUE');
    for (const row of lines.slice(5).filter(Boolean)) expect(row[at - 1]).toBe(' ');

    // --json: one document, the run's results.
    const results = json<Results>(
      await run(
        'run',
        'invoice-extractor',
        SAMPLE_PATHS[0]!,
        '--key',
        'currency=CHF',
        '--tag',
        'cli',
        '--json',
        '--wait',
      ),
    );
    expect(results.status).toBe('COMPLETE');
    expect(fieldsOf(results, 'invoice-1001.txt')).toMatchObject({
      invoice_number: 'INV-1001',
      total: '202.8',
    });

    const [list, listJson, status, statusJson, res, resJson, logs, logsJson, follow] =
      await Promise.all([
        run('runs', 'list'),
        run('runs', 'list', '--json', '--app', 'invoice-extractor', '--status', 'complete'),
        run('runs', 'status', runId!),
        run('runs', 'status', results.id, '--json'),
        run('runs', 'results', runId!),
        run('runs', 'results', runId!, '--json', '--validation'),
        run('runs', 'logs', runId!),
        run('runs', 'logs', runId!, '--json'),
        run('runs', 'logs', runId!, '-f'),
      ]);
    expect(ok(list)).toMatch(/^RUN\s+APP\s+STATUS\s+STARTED\s+TOOK\s+INPUT\s+TAGS$/m);
    expect(ok(list)).toMatch(
      new RegExp(
        `^${results.id}\\s+invoice-extractor\\s+COMPLETE\\s+(just now|\\d+ seconds ago)\\s+\\S+\\s+batch \\d+\\s+cli$`,
        'm',
      ),
    );
    expect(json<{ runs: { id: string }[] }>(listJson).runs.map((r) => r.id)).toEqual([
      results.id,
      runId,
    ]);
    expect(ok(status)).toMatch(new RegExp(`^Run\\s+${runId}$`, 'm'));
    expect(ok(status)).toMatch(/^App\s+invoice-extractor \([0-9a-f-]{36}\)$/m);
    expect(ok(status)).toMatch(/^Status\s+COMPLETE$/m);
    expect(ok(status)).toMatch(/^Finished\s+(just now|\d+ seconds ago) \(took \S+\)$/m);
    expect(json(statusJson)).toMatchObject({ id: results.id, status: 'COMPLETE', tags: ['cli'] });
    expect(ok(res)).toMatch(/^invoice-1003\.pdf\s+total\s+1356\.6\s+0\.93$/m);
    const validated = json<Results>(resJson);
    expect(validated.files).toHaveLength(3);
    expect(validated.files[0]!.documents[0]!.fields[0]).toMatchObject({
      validations: { valid: true },
    });
    expect(ok(logs)).toMatch(/\[status\] complete: /);
    expect(json<{ lines: string[] }>(logsJson).lines.join('\n')).toBe(ok(logs).trimEnd());
    // The run has ended, so following its log ends too.
    expect(ok(follow)).toBe(ok(logs));

    // Deleting parts keeps the record; deleting the rest makes it unknown.
    expect(ok(await run('runs', 'delete', runId!, '--keep-record', '--keep-logs', '--wait'))).toBe(
      `Deleted run ${runId}.\n`,
    );
    expect(ok(await run('runs', 'logs', runId!))).toMatch(/\[status\] complete: /);
    const gone = json<{ delete_input_dir_job_id: string; jobs: { state: string }[] }>(
      await run('runs', 'delete', runId!, '--wait', '--json'),
    );
    expect(gone.jobs.map((j) => j.state)).toEqual(['COMPLETE']);
    failed(
      await run('runs', 'status', runId!),
      3,
      new RegExp(`^error: Run ${runId} not found\\. \\(record-not-found\\)$`, 'm'),
    );
  });

  it('exits 1 when the run fails or is cancelled, 3 for an unknown run', async () => {
    const { run, env, appFolder, textFiles } = await clientSetup(cli);
    const boom = appFolder(
      { name: 'boom' },
      "export default async () => { throw new Error('boom'); };",
    );
    const slow = appFolder(
      { name: 'slow' },
      `export default (file, ctx) => new Promise((resolve, reject) => {
         const t = setTimeout(() => resolve([]), 60_000);
         ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('stopped')); });
       });`,
    );
    const published = await Promise.all([
      run('apps', 'publish', boom),
      run('apps', 'publish', slow),
    ]);
    published.forEach((r) => ok(r));
    const [input] = textFiles({ 'a.txt': 'hello' });

    const failedRun = await run('run', 'boom', input!, '--wait');
    expect(failedRun.code, show(failedRun)).toBe(1);
    expect(failedRun.stderr).toBe('');
    expect(failedRun.stdout).toMatch(/^Run \S+ FAILED/m);
    expect(failedRun.stdout).toMatch(/^a\.txt\s+\(no fields\)$/m);
    const failedId = /^Started run (\S+)/m.exec(failedRun.stdout)![1]!;
    expect((await run('runs', 'status', failedId)).code).toBe(1);

    // A waiting `run` learns of the cancel and exits 1; `runs cancel` itself succeeds.
    const waiting = cli.background(['run', 'slow', input!, '--wait'], env);
    const [, slowId] = await waiting.waitForStdout(/^Started run (\S+) /m);
    const cancelled = await run('runs', 'cancel', slowId!, '--wait');
    expect(ok(cancelled)).toMatch(new RegExp(`^Run ${slowId} CANCELLED`));
    expect((await waiting.exited).code, waiting.describe()).toBe(1);
    expect(waiting.stdout).toMatch(new RegExp(`^Run ${slowId} CANCELLED`, 'm'));
    expect(waiting.stderr).toBe('');

    for (const args of [
      ['runs', 'status', 'no-such-run'],
      ['runs', 'results', 'no-such-run', '--json'],
      ['run', 'no-such-app', '--batch', '1'],
    ]) {
      const r = await run(...args);
      failed(r, 3, /\(record-not-found\)$/m);
      expect(r.stdout).toBe('');
    }
    // --debug adds the request id and the stack; without it there is neither.
    const debug = await run('runs', 'status', 'no-such-run', '--debug');
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/^request id: \S+$/m);
    expect(debug.stderr).toMatch(STACK_FRAME);
  });

  it('a run at the review checkpoint: shown, corrected, resumed', async () => {
    const { run, appFolder, textFiles } = await clientSetup(cli);
    const totals = appFolder(
      {
        name: 'totals',
        fields: [{ name: 'total', type: 'NUMBER', required: true, min: 0 }],
        review: 'on_validation_failure',
      },
      "export default async (file) => [{ class_name: 'Receipt', page_numbers: [1], fields: { total: (await file.text()).trim() } }];",
    );
    ok(await run('apps', 'publish', totals));
    const inputs = textFiles({ 'good.txt': '12.50', 'bad.txt': '-3' });

    // Stopping for review is not a failure: exit 0, and it says what to do.
    const text = ok(await run('run', 'totals', ...inputs, '--wait'));
    const runId = /^Started run (\S+)/m.exec(text)![1]!;
    expect(text).toMatch(/^Run \S+ STOPPED_AT_CHECKPOINT: /m);
    expect(text).toMatch(/^bad\.txt\s+total\s+-3\s+✗ total must be at least 0\.$/m);
    expect(text).toMatch(/^good\.txt\s+total\s+12\.50\s+ok$/m);
    expect(text).toContain(`Review needed: see \`runbox review show ${runId}\``);

    const [shown, shownJson, early] = await Promise.all([
      run('review', 'show', runId),
      run('review', 'show', runId, '--json'),
      run('review', 'resume', runId),
    ]);
    expect(ok(shown)).toMatch(/^Run \S+ STOPPED_AT_CHECKPOINT: 0 of 1 files reviewed\.$/m);
    expect(ok(shown)).toMatch(/^\d+\s+bad\.txt\s+no\s+total\s+-3\s+✗ total must be at least 0\.$/m);
    const review = json<{ files: { file_index: number; original_file_name: string }[] }>(shownJson);
    const index = review.files.find((f) => f.original_file_name === 'bad.txt')!.file_index;
    failed(early, 3, /still needs review.*\(conflict\)$/m);

    const fixed = json(
      await run('review', 'fix', runId, String(index), '--set', 'total=3', '--reviewed', '--json'),
    );
    expect(fixed).toMatchObject({ file_index: index, reviewed: true, reviewed_by: 'admin' });
    expect(ok(await run('review', 'resume', runId))).toMatch(new RegExp(`^Run ${runId} COMPLETE`));
    const results = json<Results>(await run('runs', 'results', runId, '--json'));
    expect(fieldsOf(results, 'bad.txt')).toEqual({ total: '3' });
  });
});

/**
 * Runs end to end through HTTP (SPEC §3, §7): the shipped example apps over real files, and
 * what a user sees when some or all files fail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  fieldValues,
  getLogs,
  matching,
  publishExampleApps,
  publishOk,
  results,
  SAMPLES_DIR,
  startRunOk,
  waitForRun,
} from './run-helpers.js';
import { commandApp, nodeApp } from './test-apps.js';

const SAMPLES = ['invoice-1001.txt', 'invoice-1002.csv', 'invoice-1003.pdf'];

describeEachBackend('run lifecycle', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('the invoice extractor pulls the fields out of the text, CSV and PDF samples', async () => {
    h = await startHarness(backend);
    const apps = await publishExampleApps(h);
    expect(Object.keys(apps).sort()).toEqual(['invoice-extractor', 'text-stats']);
    const batch = await createBatch(
      h,
      h.tokens.alice,
      Object.fromEntries(SAMPLES.map((s) => [s, readFileSync(join(SAMPLES_DIR, s))])),
    );
    const started = await startRunOk(h, h.tokens.alice, {
      app_name: 'invoice-extractor',
      batch_id: batch,
      settings: { keys: { custom: { currency: 'CHF' } } },
    });
    expect(started).toMatchObject({
      status: 'RUNNING',
      batch_id: batch,
      app_id: apps['invoice-extractor'],
    });
    const done = await waitForRun(h, h.tokens.alice, started.id);
    expect(done.status, done.msg ?? '').toBe('COMPLETE');
    expect(done.msg).toMatch(/3 files/);
    expect(done.finish_timestamp).toBeGreaterThanOrEqual(done.start_timestamp);

    const res = await results(h, h.tokens.alice, started.id);
    expect(res).toMatchObject({
      id: started.id,
      status: 'COMPLETE',
      batch_id: String(batch),
      has_more: false,
    });
    expect(res.keys.custom).toEqual({ currency: 'CHF' });
    expect(res.files.map((f) => f.original_file_name)).toEqual(SAMPLES);
    const byFile = Object.fromEntries(
      res.files.map((f) => [f.original_file_name, fieldValues(f.documents[0]!.fields)]),
    );
    expect(byFile['invoice-1001.txt']).toEqual({
      invoice_number: 'INV-1001',
      invoice_date: '2026-03-14',
      vendor: 'ACME Office Supplies Ltd.',
      total: '202.8',
      currency: 'EUR',
    });
    expect(byFile['invoice-1002.csv']).toMatchObject({
      invoice_number: 'INV-1002',
      invoice_date: '2026-05-21',
      vendor: 'Northwind Traders',
      total: '1234.5',
      currency: 'USD',
    });
    expect(byFile['invoice-1003.pdf']).toEqual({
      invoice_number: 'INV-1003',
      invoice_date: '2026-09-07',
      vendor: 'Initech Consulting GmbH',
      total: '1356.6',
      currency: 'EUR',
    });
    const doc = res.files[0]!.documents[0]!;
    expect(doc).toMatchObject({ class_name: 'Invoice', page_numbers: [1] });
    // Without the flag there are no confidences; with it every field has one.
    expect(doc.fields.every((f) => f.confidence === undefined)).toBe(true);
    const withScores = await results(
      h,
      h.tokens.alice,
      started.id,
      '?include_confidence_scores=true',
    );
    const scored = withScores.files[0]!.documents[0]!.fields;
    expect(scored.find((f) => f.field_name === 'invoice_number')?.confidence).toEqual({
      model: 0.98,
      ocr: null,
    });
    expect(scored.every((f) => typeof f.confidence?.model === 'number')).toBe(true);

    expect(await getLogs(h, h.tokens.alice, started.id)).toMatch(
      /read \d+ lines of text from invoice-1002\.csv/,
    );
  });

  it('the text-stats command app counts lines, words and bytes, logging from stderr', async () => {
    h = await startHarness(backend);
    await publishExampleApps(h);
    const text = 'one two three\nfour five\n';
    const batch = await createBatch(h, h.tokens.alice, { 'a.txt': text, 'b.txt': 'x\n' });
    const run = await startRunOk(h, h.tokens.alice, { app_name: 'text-stats', batch_id: batch });
    expect((await waitForRun(h, h.tokens.alice, run.id)).status).toBe('COMPLETE');
    const res = await results(h, h.tokens.alice, run.id);
    expect(res.files.map((f) => fieldValues(f.documents[0]!.fields))).toEqual([
      { lines: '2', words: '5', bytes: String(Buffer.byteLength(text)) },
      { lines: '1', words: '1', bytes: '2' },
    ]);
    expect(res.files[0]!.documents[0]!.fields[0]!.type).toBe('NUMBER');
    const log = await getLogs(h, h.tokens.alice, run.id);
    expect(log).toContain('counted a.txt');
    expect(log).toContain('counted b.txt');
  });

  it('a run with some failed files completes, the failed fields reading ERROR with the reason', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, {
      'ok.txt': 'alpha beta gamma',
      'throw.txt': 'never read',
    });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    const done = await waitForRun(h, h.tokens.alice, run.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.msg).toMatch(/1 failed/);
    const [ok, failed] = (await results(h, h.tokens.alice, run.id)).files;
    expect(fieldValues(ok!.documents[0]!.fields)).toEqual({ word_count: '3', file_name: 'ok.txt' });
    expect(failed!.original_file_name).toBe('throw.txt');
    const fields = failed!.documents[0]!.fields;
    expect(fields.map((f) => [f.field_name, f.value])).toEqual([
      ['word_count', 'ERROR'],
      ['file_name', 'ERROR'],
    ]);
    for (const f of fields) expect(f.error_msg).toContain('boom in throw.txt');
    expect(await getLogs(h, h.tokens.alice, run.id)).toMatch(
      /\[file\] throw\.txt: failed \(.*boom/,
    );
  });

  it('a run whose files all fail is FAILED, each file saying why', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'throw.txt': 'a', 'exit.txt': 'b' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    const done = await waitForRun(h, h.tokens.alice, run.id);
    expect(done.status).toBe('FAILED');
    expect(done.msg).toMatch(/All 2 files failed/);
    const errors = (await results(h, h.tokens.alice, run.id)).files.map((f) => [
      f.original_file_name,
      f.documents[0]!.fields[0]!.error_msg,
    ]);
    expect(Object.fromEntries(errors)).toEqual({
      'throw.txt': matching(/boom in throw\.txt/),
      'exit.txt': matching(/process exited \(code 3\)/),
    });
    // The app's process died with exit.txt; a later run of the same app still works.
    const again = await createBatch(h, h.tokens.alice, { 'fine.txt': 'x y' });
    const next = await startRunOk(h, h.tokens.alice, { app_id, batch_id: again });
    expect((await waitForRun(h, h.tokens.alice, next.id)).status).toBe('COMPLETE');
  });

  it('a command app that exits non-zero fails that file with its stderr as the reason', async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.bob, commandApp());
    const batch = await createBatch(h, h.tokens.bob, { 'a.txt': '12345', 'fail.txt': 'x' });
    const run = await startRunOk(h, h.tokens.bob, { app_id, batch_id: batch });
    expect((await waitForRun(h, h.tokens.bob, run.id)).status).toBe('COMPLETE');
    const [a] = (await results(h, h.tokens.bob, run.id)).files;
    expect(fieldValues(a!.documents[0]!.fields)).toEqual({ size_in_bytes: '5' });
    expect(await getLogs(h, h.tokens.bob, run.id)).toMatch(
      /fail\.txt: The app exited with code 2: refusing fail\.txt/,
    );
  });
});

/**
 * The dashboard in a real browser against a real server (fresh embedded store, the example
 * apps published, the production bundle): sign in, the runs list, and the whole run lifecycle
 * including review. Screenshots of each main page go to test-artifacts/dashboard/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { EXAMPLES_DIR } from '../../src/services/example-apps.js';
import {
  dropFiles,
  textPdf,
  openPage,
  checkPage,
  signIn,
  startBrowser,
  startDashboard,
} from './browser-helpers.js';

/** A 2×2 PNG: a document that is only an image. */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==';
const sample = (name: string) => readFileSync(`${EXAMPLES_DIR}/invoice-extractor/samples/${name}`);

describe('dashboard in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await startBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('serves the page with a self-only CSP; API, Apify and unknown paths keep their answers', async () => {
    const d = await startDashboard(browser);
    const page = await fetch(`${d.url}/runs?status=COMPLETE`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${d.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');

    for (const [path, status] of [
      ['/assets/../package.json', 404],
      ['/assets/nope.js', 404],
      ['/api/v2/batches', 401],
      ['/v2/actor-runs', 401],
      ['/nowhere', 404],
      ['/healthz', 200],
    ] as const) {
      expect((await fetch(`${d.url}${path}`)).status, path).toBe(status);
    }
    const unknown = await fetch(`${d.url}/api/v2/nothing-here`);
    expect(await unknown.json()).toMatchObject({ type: 'record-not-found' });
  });

  it('signs in with a token kept in session storage only, shows the runs list, signs out', async () => {
    const d = await startDashboard(browser);
    const { page, foreign, consoleErrors } = await openPage(d);
    await page.goto(`${d.url}/`);
    await page.getByLabel('API token').fill('rbx_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');

    await signIn(page, d, d.h.tokens.bob);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('runbox.token'))).toBe(d.h.tokens.bob);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    // Members see no Admin page.
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await checkPage(page, 'runs');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('runbox.token'))).toBeNull();

    // A token revoked while the page is open ends the session, saying why.
    const later = await d.h.runbox.admin.createToken('bob', { name: 'later' });
    await signIn(page, d, later.token);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await d.h.runbox.admin.revokeToken(later.id);
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByRole('alert').getByText('The session has ended').waitFor();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('runbox.token'))).toBeNull();
    expect(foreign).toEqual([]);
    expect(consoleErrors.filter((e) => !/401/.test(e))).toEqual([]);
    await page.context().close();
  });

  it('uploads a batch by drag and drop, runs the example app on it, follows it to COMPLETE, shows results', async () => {
    const d = await startDashboard(browser);
    const { page, foreign, consoleErrors } = await openPage(d);
    await signIn(page, d, d.h.tokens.alice);
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByLabel('New batch name').fill('invoices');
    await page.getByRole('button', { name: 'Create batch' }).click();
    await page.getByTestId('dropzone').waitFor();
    await dropFiles(page, '[data-testid="dropzone"]', [
      { name: 'invoice-1001.txt', type: 'text/plain', bytes: sample('invoice-1001.txt') },
      { name: 'invoice-1002.csv', type: 'text/csv', bytes: sample('invoice-1002.csv') },
    ]);
    const files = page.getByRole('table', { name: 'Batch files' });
    await files.getByText('invoice-1002.csv').waitFor();
    await files.getByText('invoice-1001.txt').waitFor();
    expect(await page.getByRole('list', { name: 'Uploads' }).textContent()).toMatch(
      /invoice-1001.txt — done.*invoice-1002.csv — done/,
    );
    await checkPage(page, 'batches');

    await page.getByLabel('Run with').selectOption({ label: 'invoice-extractor' });
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('heading', { name: /^Run / }).waitFor();
    // Followed live: the page turns COMPLETE without a reload.
    await page
      .getByRole('list', { name: 'Timeline' })
      .getByText(/^complete: /)
      .waitFor();
    await page.locator('.panel .status-complete').waitFor();
    const results = page.getByRole('table', { name: 'Results of invoice-1001.txt, document 1' });
    await results.getByRole('row', { name: /invoice_number INV-1001/ }).waitFor();
    expect(await page.getByRole('table', { name: 'Input files' }).textContent()).toMatch(
      /invoice-1001.txt.*done.*invoice-1002.csv.*done/,
    );
    await checkPage(page, 'run-detail');
    const firstRun = (await page.getByRole('heading', { name: /^Run / }).textContent())!.slice(4);

    // Run again: a new run over the same batch, followed the same way.
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.waitForURL((u) => !u.pathname.endsWith(firstRun));
    await page.locator('.panel .status-complete').waitFor();

    // The list: both runs, newest first, counted; a status filter that matches neither.
    await page.getByRole('link', { name: '← Runs' }).click();
    const rows = page.getByRole('table', { name: 'Runs' }).getByRole('row');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.nth(2).textContent()).toContain(firstRun);
    expect(await rows.nth(1).textContent()).toMatch(/COMPLETE.*invoice-extractor/);
    await expect.poll(() => page.getByTestId('count-COMPLETE').textContent()).toBe('2');
    expect(await page.getByTestId('count-FAILED').textContent()).toBe('0');
    await checkPage(page, 'runs-list');
    await page.getByRole('checkbox', { name: 'FAILED' }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No runs match.').waitFor();
    expect(new URL(page.url()).search).toBe('?status=FAILED');
    expect(foreign).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.context().close();
  });

  it('reviews a run stopped at the checkpoint: previews the documents, corrects a field, approves, resumes to COMPLETE, deletes the run and follows its jobs', async () => {
    const d = await startDashboard(browser);
    const { page, foreign, consoleErrors } = await openPage(d);
    await signIn(page, d, d.h.tokens.alice);
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByLabel('New batch name').fill('to review');
    await page.getByRole('button', { name: 'Create batch' }).click();
    const badText =
      'Umbrella Corp\nInvoice Number: X-12\nInvoice Date: 2026-03-01\nTotal EUR 10.00\n';
    await dropFiles(page, '[data-testid="dropzone"]', [
      { name: 'good.txt', type: 'text/plain', bytes: sample('invoice-1001.txt') },
      { name: 'bad.txt', type: 'text/plain', bytes: Buffer.from(badText) },
      { name: 'scan.png', type: 'image/png', bytes: Buffer.from(PNG, 'base64') },
      {
        name: 'bad.pdf',
        type: 'application/pdf',
        bytes: await textPdf([
          'Initech',
          'Invoice Number: Q-9',
          'Invoice Date: 2026-03-02',
          'Total EUR 5.00',
        ]),
      },
    ]);
    await page.getByRole('table', { name: 'Batch files' }).getByText('bad.pdf').waitFor();
    await page.getByLabel('Run with').selectOption({ label: 'invoice-extractor' });
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.locator('.panel .status-stopped_at_checkpoint').waitFor();
    const runId = (await page.getByRole('heading', { name: /^Run / }).textContent())!.slice(4);

    await page.getByRole('link', { name: 'Review', exact: true }).click();
    await page
      .getByRole('table', { name: 'Runs to review' })
      .getByRole('link', { name: runId })
      .click();
    await page.getByRole('heading', { name: `Review run ${runId}` }).waitFor();
    await page.getByText('0 of 2 file(s) reviewed').waitFor();

    await page
      .getByRole('navigation', { name: 'Files to review' })
      .getByRole('button', { name: 'bad.txt' })
      .click();
    // The text file: its text beside its fields, the failing one highlighted and focused.
    await page
      .getByRole('region', { name: 'Document preview' })
      .getByText('Invoice Number: X-12')
      .waitFor();
    const number = page.getByLabel(/^Value of invoice.number$/);
    await expect.poll(() => number.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await number.getAttribute('aria-invalid')).toBe('true');
    await checkPage(page, 'review');
    await number.fill('INV-12');
    // Keyboard: Alt+A approves the file and moves to the next one to review.
    await number.press('Alt+a');
    await page.getByText('1 of 2 file(s) reviewed').waitFor();

    // The PDF, drawn by pdf.js; approved by the button this time.
    await page.getByRole('img', { name: 'Page 1' }).waitFor();
    await page.getByLabel(/^Value of invoice.number$/).fill('INV-9');
    await checkPage(page, 'review-pdf');
    await page.getByRole('button', { name: 'Approve file' }).click();
    await page.getByText('2 of 2 file(s) reviewed').waitFor();
    await page.getByRole('button', { name: 'Resume run' }).click();

    await page.locator('.panel .status-complete').waitFor();
    const results = page.getByRole('table', { name: 'Results of bad.txt, document 1' });
    await results
      .getByRole('row', { name: /invoice_number INV-12/ })
      .getByText('alice')
      .waitFor();

    // The image the app could not read: failed, not for review, still shown as an image.
    expect(await page.getByRole('table', { name: 'Input files' }).textContent()).toMatch(
      /scan.png.*failed/,
    );
    await page.getByRole('button', { name: 'Show scan.png' }).click();
    const image = page.getByRole('region', { name: 'Document preview' }).getByRole('img', {
      name: 'The document',
    });
    await expect.poll(() => image.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(2);

    await page.getByRole('button', { name: 'Delete run…' }).click();
    const form = page.getByRole('form', { name: 'Delete run' });
    for (const part of ['The run record', 'Its input', 'Its output files', 'Its logs']) {
      expect(await form.getByRole('checkbox', { name: new RegExp(part) }).isChecked()).toBe(true);
    }
    const remove = form.getByRole('button', { name: 'Delete for good' });
    expect(await remove.isDisabled()).toBe(true);
    await form.getByRole('checkbox', { name: /cannot be undone/ }).check();
    await remove.click();
    const jobs = page.getByTestId('deletion-job');
    await expect
      .poll(() => jobs.allTextContents())
      .toEqual([expect.stringMatching(/^input, output, logs: COMPLETE — Deleted input batch/)]);
    await checkPage(page, 'run-deleted');
    // The run is gone from the server too.
    const gone = await d.h.as(d.h.tokens.alice, {
      method: 'GET',
      url: `/api/v2/apps/runs/${runId}`,
    });
    expect(gone.statusCode).toBe(404);
    expect(foreign).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.context().close();
  });

  it('a user of two orgs picks the context; apps, versions and deployments; admin tokens shown once and revoked; tablet width', async () => {
    const d = await startDashboard(browser);
    await d.h.runbox.admin.addMember('globex', 'alice', 'admin');
    const { page, foreign, consoleErrors } = await openPage(d);
    await signIn(page, d, d.h.tokens.alice);
    await page.getByRole('group', { name: 'Act in which org?' }).waitFor();
    await page.getByRole('radio', { name: /Globex/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('alice · Globex (admin)').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('runbox.context'))).toBe('globex');
    // Globex has no apps; back in Acme the examples are there.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, d, d.h.tokens.alice);
    await page.getByRole('radio', { name: /Acme/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('alice · Acme (admin)').waitFor();

    // A file over 10 MB goes up in parts; the batch is then deleted.
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByLabel('New batch name').fill('large');
    await page.getByRole('button', { name: 'Create batch' }).click();
    await dropFiles(page, '[data-testid="dropzone"]', [
      { name: 'big.bin', type: 'application/octet-stream', zeros: 11 * 1024 * 1024 + 5 },
    ]);
    await page.getByText('big.bin — done (in parts)').waitFor();
    await page.getByRole('table', { name: 'Batch files' }).getByText('11.0 MB').waitFor();
    expect(
      await page.getByRole('progressbar', { name: 'Upload of big.bin' }).getAttribute('value'),
    ).toBe(String(11 * 1024 * 1024 + 5));
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete batch' }).click();
    await expect
      .poll(() => page.getByRole('table', { name: 'Batches' }).getByRole('row').count())
      .toBe(1);
    const left = await d.h.as(d.h.tokens.alice, { method: 'GET', url: '/api/v2/batches' });
    expect(left.json()).toEqual({ batches: [] });

    await page.getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('button', { name: 'invoice-extractor' }).click();
    await page
      .getByLabel('Manifest of 1.0.0')
      .getByText('"review": "on_validation_failure"')
      .waitFor();
    await page.getByRole('button', { name: 'New deployment' }).click();
    const form = page.getByRole('form', { name: 'New deployment' });
    await form.getByLabel('Name').fill('nightly');
    await form.getByRole('combobox', { name: /^App/ }).selectOption({ label: 'invoice-extractor' });
    await form.getByLabel('Custom keys (JSON)').fill('not json');
    await form.getByRole('button', { name: 'Create deployment' }).click();
    await form.getByRole('alert').getByText('Custom keys must be a JSON object.').waitFor();
    await form.getByLabel('Custom keys (JSON)').fill('{"currency": "USD"}');
    await form.getByLabel('Review policy').selectOption('always');
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await form.getByLabel('Webhook 1 URL').fill('https://hooks.example.com/runbox');
    await form.getByRole('button', { name: 'Create deployment' }).click();
    await page
      .getByRole('status')
      .getByText('The webhook signing secret, shown this once')
      .waitFor();
    const row = page
      .getByRole('table', { name: 'Deployments' })
      .getByRole('row', { name: /nightly/ });
    await row.getByText('always').waitFor();
    await row.getByText('https://hooks.example.com/runbox').waitFor();
    const stored = await d.h.as(d.h.tokens.alice, {
      method: 'GET',
      url: '/api/v2/apps/deployments',
    });
    expect(stored.json()).toMatchObject({
      deployments: [
        { name: 'nightly', review_policy: 'always', keys: { custom: { currency: 'USD' } } },
      ],
    });
    await checkPage(page, 'apps');

    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('button', { name: 'Tokens of robot' }).click();
    await page.getByLabel('New token name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!;
    const me = await fetch(`${d.url}/api/v2/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { user_id: string }).user_id).toBe('robot');
    await page.getByLabel('Alias').fill('ocr');
    await page.getByLabel('Value', { exact: true }).fill('hunter2-secret-value');
    await page.getByRole('button', { name: 'Add secret' }).click();
    await page
      .getByRole('table', { name: 'Secrets' })
      .getByRole('cell', { name: 'ocr', exact: true })
      .waitFor();
    expect(await page.content()).not.toContain('hunter2-secret-value');
    await checkPage(page, 'admin');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.getByText(token).count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke token ci' }).click();
    await page.getByText(/^revoked /).waitFor();
    const after = await fetch(`${d.url}/api/v2/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(after.status).toBe(401);
    expect(foreign).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.context().close();

    const tablet = await openPage(d, { width: 768, height: 1024 });
    await signIn(tablet.page, d, d.h.tokens.bob);
    await tablet.page.getByRole('heading', { name: 'Runs' }).waitFor();
    await checkPage(tablet.page, 'runs-tablet');
    await tablet.page.context().close();
  });

  it('run detail takes dropped event and log streams up again and still sees the run finish', async () => {
    const d = await startDashboard(browser);
    const alice = d.h.tokens.alice;
    const batch = await d.h.as(alice, {
      method: 'POST',
      url: '/api/v2/batches',
      payload: { name: 'b' },
    });
    const batchId = batch.json<{ id: number }>().id;
    await d.h.as(alice, {
      method: 'PUT',
      url: `/api/v2/batches/${batchId}/files/bad.txt`,
      payload: Buffer.from('Invoice Number: X-1\nInvoice Date: 2026-03-01\nTotal EUR 1.00\n'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const created = await d.h.as(alice, {
      method: 'POST',
      url: '/api/v2/apps/runs',
      payload: { app_name: 'invoice-extractor', batch_id: batchId },
    });
    const runId = created.json<{ id: string }>().id;
    const { page, consoleErrors } = await openPage(d);
    await signIn(page, d, alice);
    await page.goto(`${d.url}/runs/${runId}`);
    await page.locator('.panel .status-stopped_at_checkpoint').waitFor();

    // Every connection dropped (the stream among them), then the run resumed elsewhere.
    d.h.runbox.app.server.closeAllConnections();
    const resumed = await d.h.as(alice, {
      method: 'POST',
      url: `/api/v2/apps/runs/${runId}/resume`,
      payload: { force: true },
    });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await page.locator('.panel .status-complete').waitFor();
    await page
      .getByRole('list', { name: 'Timeline' })
      .getByText(/^complete: /)
      .waitFor();
    // The log too, read again after the drop: the resume is in it, and nothing twice.
    const log = page.getByRole('region', { name: 'Log' });
    await log.getByText(/forced/).waitFor();
    const text = (await log.textContent())!;
    expect(text.match(/\[status\] queued/g)).toHaveLength(1);
    expect(consoleErrors.filter((e) => !/ERR_|network|Failed to fetch/i.test(e))).toEqual([]);
    await page.context().close();
  });
});

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
  openPage,
  screenshot,
  signIn,
  startBrowser,
  startDashboard,
} from './browser-helpers.js';

const sample = (name: string) =>
  readFileSync(`${EXAMPLES_DIR}/invoice-extractor/samples/${name}`, 'utf8');

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
    await screenshot(page, 'runs');

    await page.getByRole('button', { name: 'Sign out' }).click();
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
      { name: 'invoice-1001.txt', type: 'text/plain', text: sample('invoice-1001.txt') },
      { name: 'invoice-1002.csv', type: 'text/csv', text: sample('invoice-1002.csv') },
    ]);
    const files = page.getByRole('table', { name: 'Batch files' });
    await files.getByText('invoice-1002.csv').waitFor();
    await files.getByText('invoice-1001.txt').waitFor();
    expect(await page.getByRole('list', { name: 'Uploads' }).textContent()).toMatch(
      /invoice-1001.txt — done.*invoice-1002.csv — done/,
    );
    await screenshot(page, 'batches');

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
    await screenshot(page, 'run-detail');
    expect(foreign).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.context().close();
  });
});

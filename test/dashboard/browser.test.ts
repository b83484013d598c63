/**
 * The dashboard in a real browser against a real server (fresh embedded store, the example
 * apps published, the production bundle): sign in, the runs list, and the whole run lifecycle
 * including review. Screenshots of each main page go to test-artifacts/dashboard/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { openPage, screenshot, signIn, startBrowser, startDashboard } from './browser-helpers.js';

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
});

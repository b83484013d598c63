/**
 * For the browser suite: a Runbox on a fresh embedded store with the example apps published and
 * the dashboard bundle built, listening on a real socket, and Debian's Chromium driven by
 * playwright-core.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';
import { publishExamples } from '../../src/services/example-apps.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { listen } from '../runs/run-helpers.js';

export const CHROMIUM = process.env.RUNBOX_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');

export interface Dashboard {
  h: Harness;
  url: string;
  browser: Browser;
}

/** Builds the bundle when it is missing or older than its sources; starts Chromium. */
export async function startBrowser(): Promise<Browser> {
  // @ts-expect-error a plain JavaScript script without declarations
  const { buildDashboard } = (await import('../../scripts/build-dashboard.mjs')) as {
    buildDashboard: (o: { quiet: boolean }) => Promise<boolean>;
  };
  await buildDashboard({ quiet: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium) or set RUNBOX_TEST_CHROMIUM.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A server on a fresh embedded store (closed when the test ends), the examples published. */
export async function startDashboard(browser: Browser): Promise<Dashboard> {
  const h = await startHarness('sqlite');
  onTestFinished(async () => {
    h.runbox.app.server.closeAllConnections();
    await h.close();
  });
  await publishExamples(h.runbox.services.apps, {
    userId: 'alice',
    userKind: 'user',
    tokenId: 'test',
    orgId: 'acme',
    role: 'admin',
    personal: true,
  });
  const port = await listen(h);
  return { h, url: `http://127.0.0.1:${port}`, browser };
}

/**
 * A new page that records every request going anywhere but `origin` and every console error
 * (a CSP violation shows as one).
 */
export async function openPage(
  d: Dashboard,
  o: { width?: number; height?: number } = {},
): Promise<{ page: Page; foreign: string[]; consoleErrors: string[] }> {
  const context = await d.browser.newContext({
    viewport: { width: o.width ?? 1280, height: o.height ?? 860 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const foreign: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(d.url) && !u.startsWith('blob:') && !u.startsWith('data:')) foreign.push(u);
  });
  page.on('console', (m) => {
    // A failed request's message names no address; its location does.
    if (m.type() === 'error') consoleErrors.push(`${m.text()} ${m.location().url}`.trim());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return { page, foreign, consoleErrors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, d: Dashboard, token: string): Promise<void> {
  await page.goto(`${d.url}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Drops files on the element matching `selector` as a browser would (a DataTransfer drop). */
export async function dropFiles(
  page: Page,
  selector: string,
  files: ({ name: string; type: string } & ({ bytes: Buffer } | { zeros: number }))[],
): Promise<void> {
  // Large files are made in the page (`zeros`), not sent over the wire.
  const encoded = files.map((f) =>
    'bytes' in f
      ? { name: f.name, type: f.type, base64: f.bytes.toString('base64'), zeros: 0 }
      : { name: f.name, type: f.type, base64: '', zeros: f.zeros },
  );
  const transfer = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) {
      const bytes = f.zeros
        ? new Uint8Array(f.zeros)
        : Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, encoded);
  await page.dispatchEvent(selector, 'dragenter', { dataTransfer: transfer });
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: transfer });
}

/** A one-page PDF of text lines (the script that makes the example's sample PDF). */
export async function textPdf(lines: string[]): Promise<Buffer> {
  // @ts-expect-error a plain JavaScript script without declarations
  const { textPdf: make } = (await import('../../scripts/make-sample-pdf.mjs')) as {
    textPdf: (lines: string[]) => Buffer;
  };
  return make(lines);
}

const CONTROL_ROLES = new Set([
  'button',
  'link',
  'textbox',
  'combobox',
  'checkbox',
  'radio',
  'listbox',
  'spinbutton',
  'slider',
  'switch',
  'searchbox',
  'progressbar',
]);

/** The page's controls, and those without an accessible name, as Chromium computes names. */
export async function unnamedControls(
  page: Page,
): Promise<{ controls: number; unnamed: string[] }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: {
        ignored: boolean;
        role?: { value?: string };
        name?: { value?: string };
        backendDOMNodeId?: number;
      }[];
    };
    const controls = nodes.filter((n) => !n.ignored && CONTROL_ROLES.has(String(n.role?.value)));
    return {
      controls: controls.length,
      unnamed: controls
        .filter((n) => !String(n.name?.value ?? '').trim())
        .map((n) => `${n.role?.value} #${n.backendDOMNodeId}`),
    };
  } finally {
    await cdp.detach();
  }
}

/** A screenshot, once every control on the page has an accessible name. */
export async function checkPage(page: Page, name: string): Promise<void> {
  const { controls, unnamed } = await unnamedControls(page);
  expect(controls).toBeGreaterThan(0);
  expect(unnamed, `controls without a name on ${name}`).toEqual([]);
  // Nothing wider than the window: the page never scrolls sideways.
  const widths = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    window.innerWidth,
  ]);
  expect(widths[0], `${name} is wider than the window`).toBeLessThanOrEqual(widths[1]!);
  await screenshot(page, name);
}

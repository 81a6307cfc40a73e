import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

// Shadow routes in Debian's Chromium against a real gateway process (PGlite, simulator demo providers): an admin
// starts a shadow under the policy editor, traffic flows, the comparison fills in, the admin stops it.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = `${ROOT}artifacts/e2e`;
const LIVE_MS = 30_000;

describe.skipIf(!chromiumAvailable())('shadow routes in the console', () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;

  async function chat(content: string) {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content }] }),
    });
    return res.status;
  }

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await build({ configFile: `${ROOT}web/vite.config.ts`, logLevel: 'warn' });
    server = await startServerProcess();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    await page.getByLabel('API key').fill(server.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('starts a shadow, shows serving vs shadow for the traffic that follows, and stops it', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Policies' }).click();
    const form = page.getByRole('form', { name: 'Start a shadow route' });
    await form.waitFor();
    await form.getByLabel('Shadow route').selectOption('gpt-4.1');
    await form.getByLabel('Traffic class').selectOption('critical');
    await form.getByLabel('Sample (%)').fill('100');
    await form.getByLabel('Shadow budget (USD)').fill('1');
    await form.getByRole('button', { name: 'Start shadow' }).click();
    const table = page.getByRole('table', { name: /Shadow gpt-4\.1 \(global, critical\): serving vs shadow/ });
    await table.waitFor();

    for (let i = 0; i < 3; i++) expect(await chat(`mirrored ${i}`)).toBe(200);
    const calls = table.getByRole('row', { name: /^Calls/ });
    // The panel reads the comparison again every few seconds.
    await expect.poll(() => calls.textContent(), { timeout: LIVE_MS }).toBe('Calls33');
    expect(await table.getByRole('row', { name: /^Error rate/ }).textContent()).toBe('Error rate0.0%0.0%');
    await expect.poll(() => page.getByText(/of \$1\.00 used/).textContent()).not.toMatch(/^\$0\.00 of/);
    await page.screenshot({ path: `${SHOTS}/shadow-comparison.png`, fullPage: true });

    await page.getByRole('button', { name: 'Stop shadow gpt-4.1' }).click();
    await expect.poll(() => table.locator('xpath=..').getByText('stopped', { exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Stop shadow gpt-4.1' }).count()).toBe(0);
    expect(await chat('after stop')).toBe(200);
  }, 120_000);
});

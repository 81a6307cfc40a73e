import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

// A canary from the policy editor in Debian's Chromium against a real gateway process: start it from an edited
// draft, see keyed traffic split between the arms in the comparison, and roll it back.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = `${ROOT}artifacts/e2e`;

describe.skipIf(!chromiumAvailable())('canary releases in the console', () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;

  const chat = async (user: string) => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'critical', user, messages: [{ role: 'user', content: `hello from ${user}` }] }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const panel = () => page.getByRole('region', { name: 'Canary' });
  const cell = (metric: string, column: number) =>
    panel()
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: metric }) })
      .getByRole('cell')
      .nth(column);

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await build({ configFile: `${ROOT}web/vite.config.ts`, logLevel: 'warn' });
    server = await startServerProcess({});
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

  it('starts a canary from the edited draft and compares both arms as traffic flows', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Policies' }).click();
    await page.getByLabel('critical primary route 1', { exact: true }).selectOption('claude-sonnet-4');
    const form = page.getByRole('form', { name: 'Start a canary' });
    await form.getByLabel('Traffic (%)').fill('50');
    await form.getByLabel('Max error rate (%)').fill('50');
    await expect.poll(() => form.getByRole('button', { name: 'Start canary' }).isEnabled()).toBe(true);
    await form.getByRole('button', { name: 'Start canary' }).click();
    await panel().getByRole('status').filter({ hasText: 'Canary started.' }).waitFor();
    await panel()
      .getByText(/serves 50% of all traffic, sticky by user/)
      .waitFor();

    for (let i = 0; i < 40; i++) expect(await chat(`e2e-user-${i}`)).toBe(200);
    // Decision rows reach the database in batches and the panel reads them every few seconds.
    await expect
      .poll(async () => Number(await cell('Requests', 0).textContent()), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await cell('Requests', 1).textContent()), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await shot('canary-running');
  });

  it('rolls the canary back after a confirmation and lists it as ended', async () => {
    await panel().getByRole('button', { name: 'Roll back' }).click();
    await panel()
      .getByRole('group', { name: 'Confirm rollback' })
      .getByRole('button', { name: 'Confirm rollback' })
      .click();
    await panel()
      .getByRole('status')
      .filter({ hasText: /rolled back\./ })
      .waitFor();
    const ended = panel().getByRole('table', { name: 'Ended canaries' });
    await ended.getByText('rolled back by admin').waitFor();
    expect(await ended.getByText('rolled back', { exact: true }).count()).toBe(1);
    await panel().getByRole('form', { name: 'Start a canary' }).waitFor();
    await shot('canary-rolled-back');
  });
});

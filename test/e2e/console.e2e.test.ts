import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

// The console in Debian's Chromium against a real gateway process (PGlite, simulator demo providers) on loopback.
// Steps run in order on one page, as an admin would: sign in, look, change the policy, run a drill.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = `${ROOT}artifacts/e2e`;
const LIVE_MS = 30_000;

describe.skipIf(!chromiumAvailable())('the admin console in a real browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;

  async function chat(model: string, content: string) {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name }).click();

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await build({ configFile: `${ROOT}web/vite.config.ts`, logLevel: 'warn' });
    server = await startServerProcess({ BACKSTOP_ALERT_EVALUATE_MS: '1000' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Traffic before anyone looks, so the charts have something to draw.
    for (const model of ['critical', 'non_critical', 'internal', 'critical', 'non_critical', 'batch']) {
      expect((await chat(model, `warm-up ${model}`)).status).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('turns a bad key away with a clear message, then signs in with the admin key', async () => {
    await page.goto(server.url);
    await page.getByLabel('API key').fill('bk_admin_not-a-real-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not accepted/);
    await shot('login-bad-key');

    await page.getByLabel('API key').fill(server.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });

  it('shows the overview charts with the traffic sent so far', async () => {
    // Rollups reach the database in batches: the page refreshes itself from the live feed, so wait for the count.
    await chat('critical', 'one more for the live feed');
    const requests = page.getByRole('group', { name: 'Requests' }).locator('.value');
    await expect
      .poll(async () => Number((await requests.textContent())?.replace(/,/g, '')), { timeout: LIVE_MS })
      .toBeGreaterThan(0);
    const tierChart = page.getByRole('img', { name: /Tier activation/ });
    expect(Number(await tierChart.getAttribute('data-points'))).toBeGreaterThan(0);
    // recharts drew the stacked areas with labelled axes.
    expect(await tierChart.locator('.recharts-area').count()).toBeGreaterThan(0);
    expect(await tierChart.textContent()).toMatch(/requests/);
    await page.getByRole('img', { name: /p95 latency by model/i }).waitFor();
    await shot('overview');
  });

  it('shows a bad policy value inline, publishes a fixed draft, and the next completion uses the new version', async () => {
    await nav('Policies');
    const timeout = page.getByLabel('critical primary timeout (ms)', { exact: true });
    await timeout.fill('0');
    await expect
      .poll(() =>
        page
          .getByText(/too small/i)
          .first()
          .isVisible(),
      )
      .toBe(true);
    expect(await page.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
    await shot('policies-invalid');

    await timeout.fill('15000');
    await page.getByLabel('non_critical primary route 1', { exact: true }).selectOption('gpt-4.1-mini');
    await expect.poll(() => page.getByText('classes.non_critical.tiers.0.routes.0').count()).toBeGreaterThan(0);
    await page.getByLabel('Note (optional)').fill('e2e: cheaper non-critical primary');
    await page.getByRole('button', { name: 'Publish' }).click();
    const status = page.getByRole('status').filter({ hasText: /Published version/ });
    await status.waitFor();
    const version = Number(/Published version (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
    expect(version).toBeGreaterThan(1);
    await shot('policies-published');

    const { complete } = await gql<{ complete: { policyVersion: number; routeId: string } }>(
      `mutation { complete(input: { trafficClass: non_critical, messages: [{ role: user, content: "after publish" }] }) { policyVersion routeId } }`,
    );
    expect(complete).toEqual({ policyVersion: version, routeId: 'gpt-4.1-mini' });
  });

  it('shows budgets and the decision log with an attempt timeline', async () => {
    await nav('Budgets');
    await page.getByRole('heading', { name: 'Budgets', level: 1 }).waitFor();
    await shot('budgets');

    await nav('Decisions');
    const firstRow = page.getByRole('table').getByRole('link').first();
    await firstRow.click();
    await page.getByText(/Why:/).first().waitFor();
    await shot('decisions');
  });

  it('answers an escalated request from the review queue, and the job carries the answer', async () => {
    const { complete } = await gql<{ complete: { status: string; jobId: string } }>(
      `mutation { complete(input: { trafficClass: non_critical, metadata: { escalate: "true" }, messages: [{ role: user, content: "please check this" }] }) { status jobId } }`,
    );
    expect(complete.status).toBe('in_review');
    await nav('Reviews');
    await page
      .getByRole('button', { name: /Approve candidate 1/ })
      .first()
      .waitFor();
    await shot('reviews');
    await page.getByLabel('Your answer').first().fill('Checked by a human: all good.');
    await page.getByRole('button', { name: 'Send answer' }).first().click();
    await page.getByRole('status').filter({ hasText: complete.jobId }).waitFor();
    const { job } = await gql<{ job: { status: string; result: { content: string } } }>(
      'query ($id: ID!) { job(id: $id) { status result { content } } }',
      { id: complete.jobId },
    );
    expect(job).toEqual({ status: 'done', result: { content: 'Checked by a human: all good.' } });
  });

  it('starts a drill on the critical primary and the breaker alert arrives live', async () => {
    await nav('Routes');
    await page.getByLabel('Route', { exact: true }).selectOption('gpt-4o');
    await page.getByLabel('Fault', { exact: true }).selectOption({ label: 'Primary returns HTTP 500' });
    await page.getByLabel('Duration (minutes)').fill('2');
    await page.getByRole('button', { name: 'Start drill' }).click();
    await page.getByRole('list', { name: 'Active drills' }).getByText('gpt-4o').first().waitFor();
    await shot('routes-drill');

    await nav('Alerts');
    await page.getByRole('heading', { name: 'Live alerts' }).waitFor();
    // A marker that a reload would wipe: the alert must arrive over the subscription, not by reloading.
    await page.evaluate(() => ((window as unknown as { e2eMarker: number }).e2eMarker = 1));
    for (let i = 0; i < 4; i++) {
      const { status, body } = await chat('critical', `during the drill ${i}`);
      expect(status).toBe(200); // the fallback answers: no user-visible error
      expect(body.model).not.toBe('gpt-4o');
    }
    const feed = page.getByRole('region', { name: 'Live alerts' });
    await feed
      .getByText(/breaker/i)
      .first()
      .waitFor({ timeout: LIVE_MS });
    expect(await page.evaluate(() => (window as unknown as { e2eMarker?: number }).e2eMarker)).toBe(1);
    await shot('alerts-live');
  });
});

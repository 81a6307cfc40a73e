import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

// The policy safety screens in Debian's Chromium against a real gateway process (PGlite, simulator demo providers):
// switch a route off on the Flags page and watch completions skip it, then replay a draft from the Policies page.
// Steps run in order on one page, as an admin would.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = `${ROOT}artifacts/e2e`;
/** Decisions reach the database in batches (BACKSTOP_DECISION_FLUSH_MS); a replay reads them from there. */
const FLUSHED_MS = 30_000;

describe.skipIf(!chromiumAvailable())('policy safety screens in a real browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;

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

  const completeCritical = (content: string) =>
    gql<{ complete: { routeId: string; decisionId: string } }>(
      'mutation ($content: String!) { complete(input: { trafficClass: critical, messages: [{ role: user, content: $content }] }) { routeId decisionId } }',
      { content },
    ).then((d) => d.complete);

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name }).click();

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await build({ configFile: `${ROOT}web/vite.config.ts`, logLevel: 'warn' });
    server = await startServerProcess({ BACKSTOP_DECISION_FLUSH_MS: '200' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Traffic for the replay to read back: every critical request answered by the primary, gpt-4o.
    for (let i = 0; i < 3; i++) expect((await completeCritical(`warm-up ${i}`)).routeId).toBe('gpt-4o');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in with the admin key', async () => {
    await page.goto(server.url);
    await page.getByLabel('API key').fill(server.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });

  it('switches a route off with a reason; the next completion skips it, and the switch survives a reload', async () => {
    await nav('Flags');
    const gpt4o = page.getByRole('switch', { name: 'route gpt-4o', exact: true });
    expect(await gpt4o.getAttribute('aria-checked')).toBe('true');
    await gpt4o.click();
    // No reason, no change: the page asks for one.
    await page
      .getByRole('alert')
      .filter({ hasText: /Say why/ })
      .waitFor();

    await page.getByLabel('Reason', { exact: true }).fill('e2e: INC-42, 500s from OpenAI');
    await gpt4o.click();
    await page.getByRole('status').filter({ hasText: 'Switched route gpt-4o off.' }).waitFor();
    await expect.poll(() => gpt4o.getAttribute('aria-checked')).toBe('false');
    await shot('flags-route-off');

    const skipped = await completeCritical('while gpt-4o is off');
    expect(skipped.routeId).toBe('claude-sonnet-4');
    // The decision is written in a batch: wait for it, then read why gpt-4o was not called.
    const firstAttempt = async () => {
      const { decision } = await gql<{
        decision: { attempts: { routeId: string; skipReason: string | null }[] } | null;
      }>('query ($id: ID!) { decision(id: $id) { attempts { routeId skipReason } } }', { id: skipped.decisionId });
      return decision?.attempts[0] ?? null;
    };
    await expect.poll(firstAttempt, { timeout: FLUSHED_MS }).toEqual({ routeId: 'gpt-4o', skipReason: 'disabled' });

    await page.reload();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'gpt-4o', exact: true }) });
    await row.getByText(/e2e: INC-42, 500s from OpenAI/).waitFor();
    expect(await page.getByRole('switch', { name: 'route gpt-4o', exact: true }).getAttribute('aria-checked')).toBe(
      'false',
    );

    await page.getByLabel('Reason', { exact: true }).fill('e2e: INC-42 resolved');
    await page.getByRole('switch', { name: 'route gpt-4o', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Switched route gpt-4o on.' }).waitFor();
    expect((await completeCritical('gpt-4o is back')).routeId).toBe('gpt-4o');
  });

  it('replays a draft over the last hour from the Policies page and shows the report beside the published policy', async () => {
    await nav('Policies');
    // The draft: critical's primary becomes the budget model, which the window never called for critical.
    await page.getByLabel('critical primary route 1', { exact: true }).selectOption('gpt-4o-mini');
    await expect.poll(() => page.getByText('classes.critical.tiers.0.routes.0').count()).toBeGreaterThan(0);
    await page.getByLabel('Window', { exact: true }).selectOption({ label: 'Last hour' });

    const report = page.getByRole('table', { name: 'Replay, all groups' });
    const empty = page.getByText(/No decisions in this window/);
    // The decisions are written in batches: run again until the replay sees them.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Run replay' }).click();
          await report.or(empty).first().waitFor();
          return report.isVisible();
        },
        { timeout: FLUSHED_MS },
      )
      .toBe(true);

    const headers = await report.getByRole('columnheader').allTextContents();
    expect(headers).toEqual(['Metric', 'Recorded', 'Published (replay)', 'Draft (replay)', 'Draft − published']);
    const byPrimary = report
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'Answered by primary' }) });
    const [recorded, published, draft] = (await byPrimary.getByRole('cell').allTextContents()).map(Number);
    expect(recorded).toBeGreaterThan(0);
    expect(published).toBe(recorded);
    expect(draft).toBeGreaterThan(0);
    // Every critical decision the primary answered now ends on another route.
    const changes = page.getByRole('table', { name: 'Decisions that change' });
    expect(await changes.getByRole('row').count()).toBeGreaterThan(1);
    expect(await changes.textContent()).toContain('gpt-4o-mini');
    await shot('policies-what-if');
  });
});

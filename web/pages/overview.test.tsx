// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMockClient, renderWithClient } from '../lib/testing.js';
import { OverviewPage, ROLLUP_SETTLE_MS } from './overview.js';

const HOUR = 3_600_000;

function metricsAnswer(variables: Record<string, unknown>, requests = 40) {
  const bucketStart = new Date(Date.parse(variables.to as string) - 5 * 60_000);
  bucketStart.setUTCSeconds(0, 0);
  return {
    metrics: {
      from: variables.from,
      to: variables.to,
      bucketMinutes: variables.bucketMinutes,
      fallbackActivationRate: { requests, fallbacks: requests / 10, rate: requests ? 0.1 : null },
      tierActivation: requests
        ? [
            {
              bucketStart: bucketStart.toISOString(),
              tiers: [
                { tier: 0, requests: 36, successes: 35 },
                { tier: 1, requests: 4, successes: 3 },
              ],
            },
          ]
        : [],
      costByClass: requests ? [{ costUsd: 1 }, { costUsd: 0.5 }] : [],
      costByModel: requests ? [{ key: 'gpt-4o', costUsd: 1.5 }] : [],
      costByTenant: requests ? [{ key: 'acme', costUsd: 1.5 }] : [],
      latencyByModel: requests ? [{ model: 'gpt-4o', p50Ms: 300, p95Ms: 900 }] : [],
      successRateByModel: requests ? [{ model: 'gpt-4o', rate: 0.95 }] : [],
    },
    liveMetrics: {
      windowMs: variables.windowMs,
      routes: [{ key: 'openai-gpt4o', requests: 12, successRate: 1, fallbackRate: 0, p95Ms: 850, costUsd: 0.2 }],
      classes: [{ key: 'critical', requests: 12, successRate: 1, fallbackRate: 0, p95Ms: 850, costUsd: 0.2 }],
    },
    tenants: [{ id: 'acme', name: 'Acme Corp' }],
    routes: [{ id: 'openai-gpt4o', model: 'gpt-4o' }],
  };
}

const overviewCalls = (mock: ReturnType<typeof createMockClient>) =>
  mock.calls.filter((c) => c.name === 'OverviewQuery');

function decision(id: string, overrides: Record<string, unknown> = {}) {
  return {
    decisionRecorded: {
      id,
      tenantId: 'acme',
      trafficClass: 'critical',
      outcome: 'success',
      finalRouteId: 'openai-gpt4o',
      finalTier: 1,
      totalCostUsd: 0.0123,
      totalLatencyMs: 640,
      startedAt: new Date().toISOString(),
      degraded: false,
      fallback: true,
      ...overrides,
    },
  };
}

describe('OverviewPage', () => {
  afterEach(cleanup);

  it('shows the window in numbers and draws every chart from the metrics', async () => {
    const mock = createMockClient((name, variables) =>
      name === 'OverviewQuery' ? metricsAnswer(variables) : undefined,
    );
    renderWithClient(<OverviewPage />, mock);

    const requests = await screen.findByRole('group', { name: 'Requests' });
    expect(within(requests).getByText('40')).toBeTruthy();
    expect(within(screen.getByRole('group', { name: 'Fallback activation rate' })).getByText('10.0%')).toBeTruthy();
    expect(within(screen.getByRole('group', { name: 'Success rate' })).getByText('95.0%')).toBeTruthy();
    expect(within(screen.getByRole('group', { name: 'Total cost' })).getByText('$1.50')).toBeTruthy();

    const tiers = screen.getByRole('img', { name: 'Tier activation, all classes (requests per 1 min)' });
    expect(Number(tiers.getAttribute('data-points'))).toBeGreaterThanOrEqual(60);
    for (const title of [
      'Cost by model (selected window)',
      'Cost by tenant (selected window)',
      'p95 latency by model',
      'Success rate by model',
    ])
      expect(screen.getByRole('img', { name: title }).getAttribute('data-points')).toBe('1');

    const byRoute = screen.getByRole('table', { name: 'By route' });
    expect(within(byRoute).getByRole('rowheader', { name: 'openai-gpt4o' })).toBeTruthy();
    expect(within(byRoute).getByText('850 ms')).toBeTruthy();
    expect(screen.getByRole('option', { name: 'Acme Corp' })).toBeTruthy();
  });

  it('asks for the last hour in one-minute buckets by default', async () => {
    const mock = createMockClient((name, variables) =>
      name === 'OverviewQuery' ? metricsAnswer(variables) : undefined,
    );
    renderWithClient(<OverviewPage />, mock);
    await screen.findByRole('group', { name: 'Requests' });
    const [first] = overviewCalls(mock);
    expect(first!.variables).toMatchObject({ bucketMinutes: 1, windowMs: HOUR });
    expect(first!.variables).not.toHaveProperty('trafficClass', expect.anything());
  });

  it('says how to send a first request when the window has none', async () => {
    const mock = createMockClient((name, variables) =>
      name === 'OverviewQuery' ? metricsAnswer(variables, 0) : undefined,
    );
    renderWithClient(<OverviewPage />, mock);
    expect(await screen.findByText(/No requests in this window yet\. Send one to/)).toBeTruthy();
    expect(screen.getByText('/v1/chat/completions')).toBeTruthy();
    expect(screen.queryByRole('img', { name: /Tier activation/ })).toBeNull();
  });

  it('shows the server error with a way to try again', async () => {
    const mock = createMockClient((name) =>
      name === 'OverviewQuery'
        ? Object.assign(new Error('the window would need over 2000 buckets'), { code: 'BAD_USER_INPUT' })
        : undefined,
    );
    renderWithClient(<OverviewPage />, mock);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/BAD_USER_INPUT/);
    expect(alert.textContent).toMatch(/over 2000 buckets/);
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(overviewCalls(mock)).toHaveLength(2);
  });

  it('re-queries with the new window when the time range changes', async () => {
    const mock = createMockClient((name, variables) =>
      name === 'OverviewQuery' ? metricsAnswer(variables) : undefined,
    );
    renderWithClient(<OverviewPage />, mock);
    await screen.findByRole('group', { name: 'Requests' });

    await userEvent.selectOptions(screen.getByLabelText('Time range'), 'Last 24 hours');
    await waitFor(() => expect(overviewCalls(mock).at(-1)!.variables.bucketMinutes).toBe(15));
    const { from, to, windowMs } = overviewCalls(mock).at(-1)!.variables as Record<string, string | number>;
    const span = Date.parse(to as string) - Date.parse(from as string);
    expect(span).toBeGreaterThanOrEqual(24 * HOUR);
    expect(span).toBeLessThan(24 * HOUR + 15 * 60_000);
    expect(windowMs).toBe(HOUR);
    expect(await screen.findByRole('heading', { name: 'Last 24 hours' })).toBeTruthy();
  });

  it('narrows the query and the decision feed to the chosen class and tenant', async () => {
    const mock = createMockClient((name, variables) =>
      name === 'OverviewQuery' ? metricsAnswer(variables) : undefined,
    );
    renderWithClient(<OverviewPage />, mock);
    await screen.findByRole('option', { name: 'Acme Corp' });

    await userEvent.selectOptions(screen.getByLabelText('Traffic class'), 'critical');
    await userEvent.selectOptions(screen.getByLabelText('Tenant'), 'Acme Corp');
    await waitFor(() =>
      expect(overviewCalls(mock).at(-1)!.variables).toMatchObject({ trafficClass: 'critical', tenantId: 'acme' }),
    );
    const feeds = mock.calls.filter((c) => c.name === 'DecisionFeedSubscription');
    expect(feeds.at(-1)!.variables).toEqual({ tenantId: 'acme' });
    expect(await screen.findByRole('img', { name: /Tier activation, critical class/ })).toBeTruthy();
  });

  it('lists a pushed decision, links it to its record, and refreshes the metrics with the window slid forward', async () => {
    const mock = createMockClient((name, variables) =>
      name === 'OverviewQuery' ? metricsAnswer(variables) : undefined,
    );
    renderWithClient(<OverviewPage />, mock);
    await screen.findByRole('group', { name: 'Requests' });
    expect(screen.getByText('Waiting for decisions…')).toBeTruthy();
    const before = overviewCalls(mock).length;

    mock.push('DecisionFeedSubscription', decision('dec-1'));

    const list = await screen.findByRole('list', { name: 'Recent decisions' });
    const link = within(list).getByRole('link', { name: /openai-gpt4o/ });
    expect(link.getAttribute('href')).toBe('/decisions/dec-1');
    const item = link.closest('li')!;
    expect(item.textContent).toMatch(/fallback 1/);
    expect(item.textContent).toMatch(/640 ms/);
    expect(item.textContent).toMatch(/\$0\.0123/);
    expect(within(item).getByText('success').className).toBe('badge success');

    await waitFor(() => expect(overviewCalls(mock).length).toBe(before + 1));
    const [first, latest] = [overviewCalls(mock)[0]!, overviewCalls(mock).at(-1)!];
    expect(Date.parse(latest.variables.to as string)).toBeGreaterThanOrEqual(Date.parse(first.variables.to as string));
    expect(screen.getByRole('img', { name: 'Cost per minute by model (live since this page opened)' })).toBeTruthy();
  });

  describe('on a fake clock', () => {
    beforeEach(() => vi.useFakeTimers({ shouldAdvanceTime: true }));
    afterEach(() => vi.useRealTimers());

    async function openOverview() {
      const mock = createMockClient((name, variables) =>
        name === 'OverviewQuery' ? metricsAnswer(variables) : undefined,
      );
      renderWithClient(<OverviewPage />, mock);
      await screen.findByRole('group', { name: 'Requests' });
      return mock;
    }

    it('refreshes the metrics once more after a pushed decision has had time to reach the decision log', async () => {
      const mock = await openOverview();
      const before = overviewCalls(mock).length;
      mock.push('DecisionFeedSubscription', decision('dec-late'));
      await waitFor(() => expect(overviewCalls(mock).length).toBe(before + 1));
      await vi.advanceTimersByTimeAsync(ROLLUP_SETTLE_MS);
      await waitFor(() => expect(overviewCalls(mock).length).toBeGreaterThanOrEqual(before + 2));
    });

    it('looks again shortly after opening, for decisions still on their way to the decision log', async () => {
      const mock = await openOverview();
      const opened = overviewCalls(mock).length;
      await vi.advanceTimersByTimeAsync(ROLLUP_SETTLE_MS);
      await waitFor(() => expect(overviewCalls(mock).length).toBe(opened + 1));
    });
  });

  it('leaves decisions of other classes out of the feed when a class is chosen', async () => {
    const mock = createMockClient((name, variables) =>
      name === 'OverviewQuery' ? metricsAnswer(variables) : undefined,
    );
    renderWithClient(<OverviewPage />, mock);
    await screen.findByRole('group', { name: 'Requests' });
    await userEvent.selectOptions(screen.getByLabelText('Traffic class'), 'batch');

    mock.push('DecisionFeedSubscription', decision('dec-critical'));
    mock.push(
      'DecisionFeedSubscription',
      decision('dec-batch', { trafficClass: 'batch', finalRouteId: 'batch-route' }),
    );

    const list = await screen.findByRole('list', { name: 'Recent decisions' });
    expect(
      within(list)
        .getAllByRole('link')
        .map((a) => a.getAttribute('href')),
    ).toEqual(['/decisions/dec-batch']);
  });
});

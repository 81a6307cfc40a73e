// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMockClient, renderWithClient, type MockClient } from '../lib/testing.js';
import { CANNED_POLICY } from '../pages/policy-fixture.js';
import { ReplayPanel, type ReplayPanelProps } from './replay-panel.js';

const NOW = Date.parse('2025-03-08T12:00:00.000Z');

const metrics = (over: Record<string, unknown> = {}) => ({
  __typename: 'WhatIfMetrics',
  requests: 10,
  answered: 10,
  degraded: 1,
  failed: 0,
  deferred: 0,
  fallbacks: 1,
  fallbackRate: 0.1,
  calls: 11,
  costUsd: 0.02,
  p95LatencyMs: 900,
  tierActivation: [
    { tier: 0, requests: 9 },
    { tier: 1, requests: 1 },
  ],
  errors: [],
  ...over,
});

// The draft swaps critical's primary: two requests fail where the published policy answered them.
const worse = metrics({ answered: 8, failed: 2, errors: [{ code: 'ALL_TIERS_FAILED', requests: 2 }] });

function report(over: Record<string, unknown> = {}) {
  return {
    __typename: 'WhatIfReplay',
    from: '2025-03-08T11:00:00.000Z',
    to: '2025-03-08T12:00:00.000Z',
    tenantId: null,
    requests: 10,
    excluded: 0,
    changedDecisions: 1,
    overall: { recorded: metrics(), published: metrics(), draft: worse },
    groups: [{ tenantId: 'acme', trafficClass: 'critical', recorded: metrics(), published: metrics(), draft: worse }],
    changes: [
      {
        decisionId: 'd-0001-aaaa',
        tenantId: 'acme',
        trafficClass: 'critical',
        published: {
          outcome: 'success',
          finalRouteId: 'gpt-4o',
          finalTier: 0,
          errorCode: null,
          costUsd: 0.002,
          latencyMs: 800,
        },
        draft: {
          outcome: 'failed',
          finalRouteId: null,
          finalTier: null,
          errorCode: 'ALL_TIERS_FAILED',
          costUsd: 0,
          latencyMs: 30,
        },
      },
    ],
    bandCrossings: { recorded: [], published: [], draft: [] },
    sources: { draft: { assumedCalls: 0, unobservedRoutes: [] } },
    ...over,
  };
}

const TENANTS = [
  { id: 'acme', name: 'Acme' },
  { id: 'globex', name: 'Globex' },
];

function renderPanel(answer: (variables: Record<string, unknown>) => unknown, props: Partial<ReplayPanelProps> = {}) {
  const mock = createMockClient((name, variables) => (name === 'WhatIfReplayQuery' ? answer(variables) : undefined));
  renderWithClient(
    <ReplayPanel draft={CANNED_POLICY} scope="global" tenants={TENANTS} problems={0} {...props} />,
    mock,
  );
  return mock;
}

const sent = (mock: MockClient) =>
  mock.calls.filter((c) => c.name === 'WhatIfReplayQuery').map((c) => c.variables.input as Record<string, unknown>);

describe('ReplayPanel', () => {
  // Only Date is faked: the window ends "now", and userEvent still needs real timers.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
    cleanup();
  });

  it('replays nothing until asked, then sends the draft with the chosen window and tenant', async () => {
    const mock = renderPanel(() => ({ whatIfReplay: report() }));
    expect(sent(mock)).toEqual([]);
    await userEvent.selectOptions(screen.getByLabelText('Window'), 'Last hour');
    await userEvent.selectOptions(screen.getByLabelText('Tenant'), 'Acme (acme)');
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    await screen.findByRole('table', { name: 'Replay, all groups' });
    expect(sent(mock)).toEqual([
      { from: '2025-03-08T11:00:00.000Z', to: '2025-03-08T12:00:00.000Z', tenantId: 'acme', draft: CANNED_POLICY },
    ]);
  });

  it('shows recorded, published and draft side by side and marks where the draft is worse', async () => {
    renderPanel(() => ({ whatIfReplay: report() }));
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    const table = await screen.findByRole('table', { name: 'Replay, all groups' });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Metric', 'Recorded', 'Published (replay)', 'Draft (replay)', 'Draft − published']);
    const failed = within(table).getByRole('rowheader', { name: 'Failed' }).closest('tr')!;
    expect([...failed.querySelectorAll('td')].map((c) => c.textContent)).toEqual(['0', '0', '2', '+2 worse']);
    expect(failed.querySelectorAll('td')[2]!.className).toBe('replay-worse');
    const cost = within(table).getByRole('rowheader', { name: 'Cost' }).closest('tr')!;
    expect(cost.getAttribute('data-verdict')).toBe('same');
    const summary = screen.getByText(
      (_, el) => el?.tagName === 'P' && /^10 decisions of all tenants/.test(el.textContent ?? ''),
    );
    expect(summary.textContent).toMatch(/Draft against published: worse$/);
    expect(screen.getByRole('table', { name: 'Replay, acme · critical' })).toBeTruthy();
    const changes = screen.getByRole('table', { name: 'Decisions that change' });
    expect(within(changes).getByRole('link', { name: 'd-0001-a' }).getAttribute('href')).toBe('/decisions/d-0001-aaaa');
    expect(within(changes).getByText('ALL_TIERS_FAILED', { exact: false })).toBeTruthy();
  });

  it('replays the tenant being edited unless another is picked', async () => {
    const mock = renderPanel(() => ({ whatIfReplay: report({ tenantId: 'globex' }) }), { scope: 'globex' });
    expect((screen.getByLabelText('Tenant') as HTMLSelectElement).value).toBe('globex');
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    await screen.findByRole('table', { name: 'Replay, all groups' });
    expect(sent(mock)[0]).toMatchObject({ tenantId: 'globex', from: '2025-03-07T12:00:00.000Z' });
  });

  it('checks a custom window before asking the gateway', async () => {
    const mock = renderPanel(() => ({ whatIfReplay: report() }));
    await userEvent.selectOptions(screen.getByLabelText('Window'), 'From / to');
    await userEvent.type(screen.getByLabelText('From'), '2025-03-01T10:00');
    await userEvent.type(screen.getByLabelText('To'), '2025-03-01T09:00');
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Must be after the start.');
    expect(screen.getByLabelText('To').getAttribute('aria-invalid')).toBe('true');
    expect(sent(mock)).toEqual([]);
  });

  it('lists the draft issues the gateway names when it refuses the draft', async () => {
    const invalid = Object.assign(new Error('invalid policy'), {
      code: 'BAD_USER_INPUT',
      extensions: { issues: [{ path: 'classes.critical.tiers.0.routes.0', message: 'unknown route "gpt-9"' }] },
    });
    renderPanel(() => invalid);
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The replay was refused (BAD_USER_INPUT).');
    expect(within(alert).getByRole('listitem').textContent).toBe('critical primary route 1: unknown route "gpt-9"');
  });

  it('shows any other error with its code and a retry', async () => {
    const mock = renderPanel(() => Object.assign(new Error('not signed in'), { code: 'UNAUTHENTICATED' }));
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/UNAUTHENTICATED/);
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(sent(mock)).toHaveLength(2);
  });

  it('says when the window holds no decisions', async () => {
    renderPanel(() => ({
      whatIfReplay: report({ requests: 0, tenantId: 'acme', groups: [], changes: [], changedDecisions: 0 }),
    }));
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    await screen.findByText(/No decisions in this window for tenant acme/);
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('shows it is replaying while the gateway works', async () => {
    renderPanel(() => undefined);
    await userEvent.click(screen.getByRole('button', { name: 'Run replay' }));
    expect((await screen.findByRole('status')).textContent).toBe('Loading the replay…');
  });

  it('does not replay a draft with problems', async () => {
    renderPanel(() => ({ whatIfReplay: report() }), { problems: 2 });
    expect((screen.getByRole('button', { name: 'Run replay' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('Fix the problems above to replay the draft.')).toBeTruthy();
  });
});

// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockClient, renderWithClient, type MockClient } from '../lib/testing.js';
import { DecisionsPage } from './decisions.js';

function decision(id: string, over: Record<string, unknown> = {}) {
  return {
    __typename: 'Decision',
    id,
    startedAt: '2025-03-01T10:00:00.000Z',
    tenantId: 'acme',
    tenant: { __typename: 'Tenant', name: 'Acme Corp' },
    trafficClass: 'critical',
    outcome: 'degraded',
    finalRouteId: 'claude-b',
    finalTier: 1,
    attemptCount: 3,
    totalLatencyMs: 1450,
    totalCostUsd: 0.0123,
    degradedReasons: ['fallback'],
    ...over,
  };
}

function page(ids: string[], endCursor: string | null, hasNextPage: boolean) {
  return {
    tenants: [{ __typename: 'Tenant', id: 'acme', name: 'Acme Corp' }],
    routes: [
      { __typename: 'Route', id: 'gpt-main' },
      { __typename: 'Route', id: 'claude-b' },
    ],
    decisions: {
      __typename: 'DecisionConnection',
      edges: ids.map((id) => ({ __typename: 'DecisionEdge', cursor: `c-${id}`, node: decision(id) })),
      pageInfo: { __typename: 'PageInfo', endCursor, hasNextPage },
    },
  };
}

const attempt = (over: Record<string, unknown>) => ({
  __typename: 'Attempt',
  index: 0,
  tier: 0,
  routeId: 'gpt-main',
  provider: 'openai',
  model: 'gpt-4o',
  outcome: 'failure',
  latencyMs: 80,
  costUsd: 0,
  status: null,
  providerCode: null,
  failureKind: null,
  retry: 0,
  breakerState: 'closed',
  skipReason: null,
  ...over,
});

const detail = {
  decision: {
    ...decision('d1'),
    policyVersion: 7,
    budgetBand: 'normal',
    errorCode: null,
    userId: 'u-42',
    workflowId: null,
    featureId: 'summarise',
    appId: null,
    promptHash: 'abc123',
    sensitive: false,
    attempts: [
      attempt({ index: 0, failureKind: 'rate_limited', status: 429, latencyMs: 90 }),
      attempt({ index: 1, retry: 1, failureKind: 'server_error', status: 500, latencyMs: 120 }),
      attempt({ index: 2, tier: 1, routeId: 'gemini-x', outcome: 'skipped', skipReason: 'circuit_open' }),
      attempt({ index: 3, tier: 1, routeId: 'claude-b', provider: 'anthropic', model: 'claude', outcome: 'success' }),
    ],
  },
};

function renderPage(mock: MockClient, path = '/decisions') {
  return renderWithClient(
    <Routes>
      <Route path="/decisions" element={<DecisionsPage />} />
      <Route path="/decisions/:id" element={<DecisionsPage />} />
    </Routes>,
    mock,
    path,
  );
}

const listCalls = (mock: MockClient) => mock.calls.filter((c) => c.name === 'DecisionsQuery');

describe('DecisionsPage', () => {
  afterEach(cleanup);

  it('shows one row per decision with tenant, outcome, final route and tier', async () => {
    const mock = createMockClient((name) =>
      name === 'DecisionsQuery' ? page(['d1', 'd2'], 'c-d2', false) : undefined,
    );
    renderPage(mock);
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    const first = within(rows[1]!);
    expect(first.getByText('Acme Corp')).toBeTruthy();
    expect(first.getByText('degraded').className).toContain('badge');
    expect(first.getByText('claude-b')).toBeTruthy();
    expect(first.getByText('fallback 1')).toBeTruthy();
    expect(first.getByText('1.45 s')).toBeTruthy();
    expect(listCalls(mock)[0]!.variables).toEqual({ first: 50, filter: {} });
  });

  it('sends `after` with the end cursor on Load more and appends the next page', async () => {
    const mock = createMockClient((name, v) =>
      name === 'DecisionsQuery'
        ? v.after
          ? page(['d3'], 'c-d3', false)
          : page(['d1', 'd2'], 'c-d2', true)
        : undefined,
    );
    renderPage(mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    await screen.findByRole('link', { name: /Decision d3/ });
    expect(listCalls(mock).at(-1)!.variables).toEqual({ first: 50, filter: {}, after: 'c-d2' });
    expect(screen.getAllByRole('link', { name: /^Decision d/ })).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('re-queries from the first page with the new filter when a filter changes', async () => {
    const mock = createMockClient((name, v) =>
      name === 'DecisionsQuery' ? (v.after ? page(['d3'], 'c-d3', true) : page(['d1', 'd2'], 'c-d2', true)) : undefined,
    );
    renderPage(mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    await screen.findByRole('link', { name: /Decision d3/ });
    await userEvent.selectOptions(screen.getByLabelText('Outcome'), 'failed');
    await userEvent.selectOptions(screen.getByLabelText('Degraded'), 'no');
    await waitFor(() =>
      expect(listCalls(mock).at(-1)!.variables).toEqual({ first: 50, filter: { outcome: 'failed', degraded: false } }),
    );
    await waitFor(() => expect(screen.queryByRole('link', { name: /Decision d3/ })).toBeNull());
  });

  it('reads the filters from the address, so a filtered view can be linked', async () => {
    const mock = createMockClient((name) => (name === 'DecisionsQuery' ? page([], null, false) : undefined));
    renderPage(mock, '/decisions?tenant=acme&class=batch&route=gpt-main&from=2025-03-01T10:00');
    await screen.findByText('No decisions match these filters.');
    const sent = listCalls(mock)[0]!.variables.filter as Record<string, unknown>;
    expect(sent).toMatchObject({ tenantId: 'acme', trafficClass: 'batch', routeId: 'gpt-main' });
    expect(sent.from).toBe(new Date('2025-03-01T10:00').toISOString());
    expect((screen.getByLabelText('Traffic class') as HTMLSelectElement).value).toBe('batch');
  });

  it('shows the attempt timeline, with why each fallback happened, for a clicked row', async () => {
    const mock = createMockClient((name) =>
      name === 'DecisionsQuery'
        ? page(['d1', 'd2'], 'c-d2', false)
        : name === 'DecisionDetailQuery'
          ? detail
          : undefined,
    );
    renderPage(mock);
    const rows = within(await screen.findByRole('table')).getAllByRole('row');
    await userEvent.click(within(rows[1]!).getByText('claude-b'));
    const timeline = await screen.findByRole('list', { name: 'Attempts' });
    const items = within(timeline).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      expect.stringContaining('rate_limited (HTTP 429) — retried on the same route'),
      expect.stringContaining('server_error (HTTP 500) — retries exhausted, moved to fallback 1'),
      expect.stringContaining('skipped: breaker open'),
      expect.stringContaining('answered'),
    ]);
    expect(mock.calls.find((c) => c.name === 'DecisionDetailQuery')!.variables).toEqual({ id: 'd1' });
    expect(screen.getByText('Policy version').nextSibling!.textContent).toBe('7');
    expect(document.activeElement!.textContent).toBe('Decision d1');
  });

  it('opens a decision from the keyboard through the row link, keeping loaded pages', async () => {
    const mock = createMockClient((name, v) =>
      name === 'DecisionsQuery'
        ? v.after
          ? page(['d3'], 'c-d3', false)
          : page(['d1', 'd2'], 'c-d2', true)
        : name === 'DecisionDetailQuery'
          ? detail
          : undefined,
    );
    renderPage(mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    screen.getByRole('link', { name: /Decision d1/ }).focus();
    await userEvent.keyboard('{Enter}');
    await screen.findByRole('list', { name: 'Attempts' });
    await waitFor(() => expect(document.activeElement!.textContent).toBe('Decision d1'));
    expect(screen.getAllByRole('link', { name: /^Decision d/ })).toHaveLength(3);
  });

  it('says so when the selected decision does not exist', async () => {
    const mock = createMockClient((name) =>
      name === 'DecisionsQuery' ? page(['d1'], 'c-d1', false) : { decision: null },
    );
    renderPage(mock, '/decisions/nope');
    await screen.findByText(/No decision nope/);
  });

  it('shows the server error with a retry when the log cannot load', async () => {
    const mock = createMockClient(() =>
      Object.assign(new Error('database is down'), { code: 'INTERNAL_SERVER_ERROR' }),
    );
    renderPage(mock);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/database is down/);
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('shows a loading state before the first page arrives', () => {
    renderPage(createMockClient(() => undefined));
    expect(screen.getByRole('status').textContent).toMatch(/Loading decisions/);
  });
});

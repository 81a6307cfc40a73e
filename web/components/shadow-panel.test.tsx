// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_SESSION, createMockClient, renderWithClient, type MockClient } from '../lib/testing.js';
import { ShadowPanel } from './shadow-panel.js';

type Answers = Record<string, (variables: Record<string, unknown>) => unknown>;

const side = (extra: Record<string, unknown> = {}) => ({
  __typename: 'ShadowSide',
  calls: 40,
  errorRate: 0,
  p50LatencyMs: 420,
  p95LatencyMs: 900,
  avgCostUsd: 0.0012,
  totalCostUsd: 0.048,
  schemaChecked: 0,
  schemaPassRate: null,
  ...extra,
});
const shadow = (extra: Record<string, unknown> = {}) => ({
  __typename: 'ShadowRoute',
  id: 's1',
  scope: 'acme',
  trafficClass: 'critical',
  routeId: 'claude-sonnet-4',
  sampleRate: 0.25,
  timeoutMs: 10_000,
  budgetUsd: 5,
  spentUsd: 1.25,
  reservedUsd: 0,
  status: 'running',
  createdAt: '2026-01-01T10:00:00.000Z',
  stoppedAt: null,
  comparison: {
    skippedBudget: 3,
    skippedBusy: 0,
    shadowFailures: [{ kind: 'timeout', calls: 4 }],
    serving: side(),
    shadow: side({ errorRate: 0.1, p50LatencyMs: 1_500, schemaChecked: 10, schemaPassRate: 0.8 }),
  },
  ...extra,
});
const routes = [
  { id: 'gpt-4o', provider: 'openai', model: 'gpt-4o' },
  { id: 'claude-sonnet-4', provider: 'anthropic', model: 'claude-sonnet-4-20250514' },
];

function mockWith(answers: Answers = {}): MockClient {
  const defaults: Answers = {
    ShadowPanelQuery: () => ({ shadowRoutes: [shadow()], routes }),
    StartShadowRouteMutation: () => ({ startShadowRoute: { id: 's2' } }),
    StopShadowRouteMutation: (v) => ({ stopShadowRoute: { id: v.id, status: 'stopped' } }),
  };
  return createMockClient((name, variables) => ({ ...defaults, ...answers })[name]?.(variables));
}

const render = (mock: MockClient, scope = 'acme', session = TEST_SESSION) =>
  renderWithClient(<ShadowPanel scope={scope} readOnly={session.role !== 'admin'} />, mock, '/policies', session);

describe('ShadowPanel', () => {
  afterEach(cleanup);

  it('compares serving and shadow side by side, with the shadow budget used of its total', async () => {
    const mock = mockWith();
    render(mock);
    const table = await screen.findByRole('table', { name: /claude-sonnet-4.*serving vs shadow/ });
    const row = (name: string) =>
      within(within(table).getByRole('rowheader', { name }).closest('tr')!)
        .getAllByRole('cell')
        .map((c) => c.textContent);
    expect(row('Calls')).toEqual(['40', '40']);
    expect(row('Error rate')).toEqual(['0.0%', '10.0%']);
    expect(row('p50 latency')).toEqual(['420 ms', '1.50 s']);
    expect(row('p95 latency')).toEqual(['900 ms', '900 ms']);
    expect(row('Schema pass rate')).toEqual(['no schema', '80.0% of 10']);
    expect(screen.getByText('$1.25 of $5.00 used')).toBeTruthy();
    expect(screen.getByText(/timeout ×4/).textContent).toContain('3 not mirrored: shadow budget spent');
    expect(mock.calls.find((c) => c.name === 'ShadowPanelQuery')!.variables).toEqual({ tenantId: 'acme' });
  });

  it('starts a shadow for the scope from the form, sending the sample as a rate', async () => {
    const mock = mockWith();
    render(mock);
    const form = await screen.findByRole('form', { name: 'Start a shadow route' });
    await userEvent.selectOptions(within(form).getByLabelText('Shadow route'), 'claude-sonnet-4');
    await userEvent.selectOptions(within(form).getByLabelText('Traffic class'), 'batch');
    await userEvent.clear(within(form).getByLabelText('Sample (%)'));
    await userEvent.type(within(form).getByLabelText('Sample (%)'), '5');
    await userEvent.clear(within(form).getByLabelText('Shadow budget (USD)'));
    await userEvent.type(within(form).getByLabelText('Shadow budget (USD)'), '2.5');
    await userEvent.click(within(form).getByRole('button', { name: 'Start shadow' }));
    const sent = mock.calls.find((c) => c.name === 'StartShadowRouteMutation');
    expect(sent?.variables).toEqual({
      input: {
        tenantId: 'acme',
        trafficClass: 'batch',
        routeId: 'claude-sonnet-4',
        sampleRate: 0.05,
        budgetUsd: 2.5,
        timeoutMs: 10_000,
      },
    });
  });

  it('names a bad field before sending anything, and the server’s issues after', async () => {
    const err = Object.assign(new Error('invalid input'), {
      code: 'BAD_USER_INPUT',
      extensions: { issues: [{ path: 'input.routeId', message: 'unknown route' }] },
    });
    const mock = mockWith({ StartShadowRouteMutation: () => err });
    render(mock, 'global');
    const form = await screen.findByRole('form', { name: 'Start a shadow route' });
    await userEvent.clear(within(form).getByLabelText('Sample (%)'));
    await userEvent.type(within(form).getByLabelText('Sample (%)'), '0');
    await userEvent.click(within(form).getByRole('button', { name: 'Start shadow' }));
    expect((await screen.findByRole('alert')).textContent).toBe('must be above 0');
    expect(mock.calls.some((c) => c.name === 'StartShadowRouteMutation')).toBe(false);

    await userEvent.clear(within(form).getByLabelText('Sample (%)'));
    await userEvent.type(within(form).getByLabelText('Sample (%)'), '50');
    await userEvent.click(within(form).getByRole('button', { name: 'Start shadow' }));
    expect((await screen.findByRole('alert')).textContent).toBe('unknown route');
    const sent = mock.calls.find((c) => c.name === 'StartShadowRouteMutation')!.variables.input;
    expect(sent).not.toHaveProperty('tenantId');
  });

  it('stops a running shadow', async () => {
    const mock = mockWith();
    render(mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Stop shadow claude-sonnet-4' }));
    expect(mock.calls.find((c) => c.name === 'StopShadowRouteMutation')?.variables).toEqual({ id: 's1' });
  });

  it('is read-only for viewers: no form, no Stop button', async () => {
    render(mockWith(), 'acme', { ...TEST_SESSION, role: 'viewer' });
    await screen.findByRole('table', { name: /serving vs shadow/ });
    expect(screen.queryByRole('form', { name: 'Start a shadow route' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Stop shadow/ })).toBeNull();
  });

  it('says so when the scope has no shadow route yet', async () => {
    render(mockWith({ ShadowPanelQuery: () => ({ shadowRoutes: [], routes }) }));
    expect(await screen.findByText('No shadow route for this scope yet.')).toBeTruthy();
  });
});

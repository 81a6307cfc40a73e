// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEST_SESSION, createMockClient, renderWithClient, type MockClient } from '../lib/testing.js';
import { CanaryPanel } from './canary-panel.js';
import { canaryInput, EMPTY_CANARY_FORM } from './canary-start-form.js';

type Answers = Record<string, (variables: Record<string, unknown>) => unknown>;

const arm = (extra: Record<string, unknown> = {}) => ({
  requests: 120,
  successRate: 0.99,
  errorRate: 0.01,
  fallbackRate: 0.05,
  avgCostUsd: 0.0012,
  p95LatencyMs: 840,
  ...extra,
});
const canary = (extra: Record<string, unknown> = {}) => ({
  __typename: 'Canary',
  id: 'c1',
  scope: 'global',
  status: 'running',
  trafficClass: null,
  candidateVersion: 4,
  baselineVersion: 3,
  percent: 30,
  stickyBy: 'user',
  maxErrorRate: 0.05,
  maxFallbackRate: null,
  maxP95Ms: 2000,
  minRequests: 50,
  endedReason: null,
  endedBy: null,
  endedAt: null,
  startedAt: '2026-01-01T10:00:00.000Z',
  comparison: { canary: arm({ requests: 40, errorRate: 0.025 }), baseline: arm() },
  ...extra,
});
const ended = canary({
  id: 'c0',
  status: 'rolled_back',
  candidateVersion: 2,
  endedBy: 'system',
  endedReason: 'error rate 40.0% above 20.0% after 20 canary requests',
  endedAt: '2026-01-01T09:00:00.000Z',
});

function mockWith(answers: Answers): MockClient {
  return createMockClient((name, variables) => answers[name]?.(variables));
}

const render = (mock: MockClient, props: Partial<Parameters<typeof CanaryPanel>[0]> = {}) =>
  renderWithClient(
    <CanaryPanel
      scope="global"
      draft={{ version: 3, classes: {} }}
      blocked={null}
      readOnly={false}
      onChanged={() => {}}
      refreshMs={60_000}
      {...props}
    />,
    mock,
    '/policies',
    props.readOnly ? { ...TEST_SESSION, role: 'viewer' } : TEST_SESSION,
  );

describe('CanaryPanel', () => {
  afterEach(cleanup);

  it('compares the running canary with the baseline, metric by metric', async () => {
    render(mockWith({ CanaryPanelQuery: () => ({ canaries: [canary(), ended] }) }));
    const table = await screen.findByRole('table', { name: 'Canary against baseline' });
    const row = (name: string) =>
      within(within(table).getByRole('rowheader', { name }).closest('tr')!)
        .getAllByRole('cell')
        .map((c) => c.textContent);
    expect(row('Requests')).toEqual(['40', '120']);
    expect(row('Error rate')).toEqual(['2.5%', '1.0%']);
    expect(row('Success rate')).toEqual(['99.0%', '99.0%']);
    expect(row('Fallback rate')).toEqual(['5.0%', '5.0%']);
    expect(row('Avg cost')).toEqual(['$0.0012', '$0.0012']);
    expect(row('p95 latency')).toEqual(['840 ms', '840 ms']);
    expect(screen.getByText(/Version 4 serves 30% of all traffic, sticky by user/).textContent).toMatch(
      /error rate above 5\.0% or p95 above 2\.00 s after 50 canary requests/,
    );
    const history = screen.getByRole('table', { name: 'Ended canaries' });
    expect(within(history).getByText(/error rate 40\.0% above 20\.0%/).textContent).toMatch(/\(automatic\)$/);
  });

  it('rolls back only after confirmation, then reads the canaries again', async () => {
    const onChanged = vi.fn();
    let rolledBack = false;
    const mock = mockWith({
      CanaryPanelQuery: () => ({ canaries: rolledBack ? [canary({ status: 'rolled_back' })] : [canary()] }),
      RollbackCanaryMutation: () => {
        rolledBack = true;
        return { rollbackCanary: { id: 'c1', status: 'rolled_back' } };
      },
    });
    render(mock, { onChanged });
    await userEvent.click(await screen.findByRole('button', { name: 'Roll back' }));
    expect(mock.calls.some((c) => c.name === 'RollbackCanaryMutation')).toBe(false);
    const confirm = screen.getByRole('group', { name: 'Confirm rollback' });
    await userEvent.click(within(confirm).getByRole('button', { name: 'Confirm rollback' }));
    await screen.findByText('Canary version 4 rolled back.');
    expect(mock.calls.filter((c) => c.name === 'RollbackCanaryMutation')[0]?.variables).toEqual({ id: 'c1' });
    expect(onChanged).toHaveBeenCalledOnce();
  });

  it('shows why a promotion failed and keeps the confirmation open', async () => {
    const mock = mockWith({
      CanaryPanelQuery: () => ({ canaries: [canary()] }),
      PromoteCanaryMutation: () =>
        Object.assign(new Error('canary c1 already ended (rolled back)'), { code: 'CONFLICT' }),
    });
    render(mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Promote' }));
    await userEvent.click(screen.getByRole('button', { name: 'Confirm promotion' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Not promoted: canary c1 already ended (rolled back)');
  });

  it('starts a canary from the draft with the typed percent, stickiness, class and thresholds', async () => {
    const draft = { version: 3, classes: { critical: {} } };
    const mock = mockWith({
      CanaryPanelQuery: () => ({ canaries: [] }),
      StartCanaryMutation: () => ({ startCanary: { id: 'c2', candidateVersion: 5, status: 'running' } }),
    });
    render(mock, { draft });
    const form = await screen.findByRole('form', { name: 'Start a canary' });
    await userEvent.clear(within(form).getByLabelText('Traffic (%)'));
    await userEvent.type(within(form).getByLabelText('Traffic (%)'), '25');
    await userEvent.selectOptions(within(form).getByLabelText('Sticky by'), 'conversation');
    await userEvent.selectOptions(within(form).getByLabelText('Traffic class'), 'critical');
    await userEvent.type(within(form).getByLabelText('Max p95 (ms)'), '3000');
    await userEvent.click(within(form).getByRole('button', { name: 'Start canary' }));
    await screen.findByText('Canary started.');
    expect(mock.calls.find((c) => c.name === 'StartCanaryMutation')?.variables).toEqual({
      input: {
        scope: 'global',
        document: draft,
        percent: 25,
        stickyBy: 'conversation',
        trafficClass: 'critical',
        maxErrorRate: 0.05,
        maxFallbackRate: null,
        maxP95Ms: 3000,
        minRequests: 50,
      },
    });
  });

  it('names the field at fault and sends nothing for an out-of-range percent', async () => {
    const mock = mockWith({ CanaryPanelQuery: () => ({ canaries: [] }) });
    render(mock);
    const percent = await screen.findByLabelText('Traffic (%)');
    await userEvent.clear(percent);
    await userEvent.type(percent, '150');
    await userEvent.click(screen.getByRole('button', { name: 'Start canary' }));
    expect((await screen.findByRole('alert')).textContent).toBe('A number from 0.01 to 100');
    expect(percent.getAttribute('aria-invalid')).toBe('true');
    expect(mock.calls.some((c) => c.name === 'StartCanaryMutation')).toBe(false);
  });

  it('disables Start while the draft has problems', async () => {
    render(mockWith({ CanaryPanelQuery: () => ({ canaries: [] }) }), { blocked: 'Fix the problems above.' });
    expect((await screen.findByRole('button', { name: 'Start canary' })).hasAttribute('disabled')).toBe(true);
  });

  it('offers a viewer no start, promote or rollback', async () => {
    render(mockWith({ CanaryPanelQuery: () => ({ canaries: [canary()] }) }), { readOnly: true });
    await screen.findByRole('table', { name: 'Canary against baseline' });
    expect(screen.queryByRole('button')).toBeNull();
  });
});

describe('canaryInput', () => {
  it('turns percent thresholds into fractions and leaves blank ones out', () => {
    const built = canaryInput({ ...EMPTY_CANARY_FORM, maxErrorRate: '' }, 'acme', {});
    expect(built).toEqual({
      input: expect.objectContaining({ scope: 'acme', percent: 10, maxErrorRate: null, trafficClass: null }),
    });
  });
});

// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CombinedError, type Client } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromValue } from 'wonka';
import { createMockClient, renderWithClient, TEST_SESSION, type Responder } from '../lib/testing.js';
import { AlertsPage } from './alerts.js';

const alertEvent = (over: Record<string, unknown> = {}) => ({
  id: 'e1',
  severity: 'warning',
  state: 'fired',
  message: 'error rate 5% > 2% on route:gpt-4o (5 min, 40 calls)',
  subject: 'route:gpt-4o',
  metric: 'error_rate',
  value: 0.05,
  threshold: 0.02,
  at: '2025-03-01T10:00:00.000Z',
  ruleName: 'Error rate above 2%',
  acknowledgedAt: null,
  ...over,
});

const rule = (over: Record<string, unknown> = {}) => ({
  id: 'r1',
  name: 'Error rate above 2%',
  metric: 'error_rate',
  comparator: 'gt',
  threshold: 0.02,
  windowMs: 300_000,
  minSample: 20,
  cooldownMs: 300_000,
  severity: 'warning',
  enabled: true,
  tenantId: null,
  scope: { routeId: null, model: null, trafficClass: null, tenantId: null, tier: null },
  ...over,
});

const page = (over: Record<string, unknown> = {}) => ({
  alertEvents: [alertEvent()],
  alertRules: [rule()],
  tenants: [{ id: 'acme', name: 'Acme' }],
  ...over,
});

function answer(data: unknown, mutations: Record<string, unknown> = {}): Responder {
  return (name) => (name === 'AlertsQuery' ? data : mutations[name]);
}

const feed = () => screen.getByRole('region', { name: 'Live alerts' });
const rules = () => screen.getByRole('region', { name: 'Alert rules' });

describe('AlertsPage: live feed', () => {
  afterEach(cleanup);

  it('shows each event with its badges, message, subject and reading in units, in a polite live region', async () => {
    renderWithClient(<AlertsPage />, createMockClient(answer(page())));
    const item = (await screen.findByText(/error rate 5% > 2%/)).closest('li')!;
    expect(within(item).getByText('warning').className).toBe('badge warning');
    expect(within(item).getByText('fired').className).toBe('badge fired');
    expect(item.textContent).toContain('route:gpt-4o');
    expect(item.textContent).toContain('value 5% vs threshold 2%');
    expect(item.closest('[aria-live="polite"]')).toBeTruthy();
  });

  it('puts an alert pushed on the subscription at the top, without reloading', async () => {
    const mock = createMockClient(answer(page()));
    renderWithClient(<AlertsPage />, mock);
    await screen.findByText(/error rate 5%/);
    mock.push('AlertsFeedSubscription', {
      alerts: alertEvent({
        id: 'e2',
        severity: 'critical',
        message: 'breaker open 1 > 0 on route:claude',
        at: '2025-03-01T10:05:00.000Z',
      }),
    });
    await screen.findByText(/breaker open/);
    const items = within(feed()).getAllByRole('listitem');
    expect(items.map((li) => li.querySelector('strong')?.textContent)).toEqual([
      'breaker open 1 > 0 on route:claude',
      'error rate 5% > 2% on route:gpt-4o (5 min, 40 calls)',
    ]);
    expect(mock.calls.filter((c) => c.name === 'AlertsQuery')).toHaveLength(1);
  });

  it('shows a pushed transition already in the list once', async () => {
    const mock = createMockClient(answer(page()));
    renderWithClient(<AlertsPage />, mock);
    await screen.findByText(/error rate 5%/);
    mock.push('AlertsFeedSubscription', { alerts: alertEvent() });
    mock.push('AlertsFeedSubscription', {
      alerts: alertEvent({ state: 'resolved', message: 'resolved now', at: '2025-03-01T10:09:00.000Z' }),
    });
    await screen.findByText('resolved now');
    expect(within(feed()).getAllByRole('listitem')).toHaveLength(2);
  });

  it('acknowledges a fired event by id, then says when', async () => {
    const mock = createMockClient(
      answer(page(), {
        AcknowledgeAlertMutation: {
          acknowledgeAlert: { id: 'e1', acknowledgedAt: '2025-03-01T10:02:00.000Z', acknowledgedBy: 'key-1' },
        },
      }),
    );
    renderWithClient(<AlertsPage />, mock);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Acknowledge Error rate above 2% on route:gpt-4o' }),
    );
    expect(await screen.findByText(/acknowledged at/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Acknowledge/ })).toBeNull();
    expect(mock.calls.find((c) => c.name === 'AcknowledgeAlertMutation')?.variables).toEqual({ id: 'e1' });
  });

  it('offers no acknowledge for resolved or already acknowledged events', async () => {
    const events = [
      alertEvent({ state: 'resolved' }),
      alertEvent({ id: 'e3', acknowledgedAt: '2025-03-01T10:01:00.000Z' }),
    ];
    renderWithClient(<AlertsPage />, createMockClient(answer(page({ alertEvents: events }))));
    await screen.findByText(/acknowledged at/);
    expect(screen.queryByRole('button', { name: /^Acknowledge/ })).toBeNull();
  });

  it('filters by severity and state', async () => {
    const events = [alertEvent(), alertEvent({ id: 'e2', severity: 'critical', message: 'critical one' })];
    renderWithClient(<AlertsPage />, createMockClient(answer(page({ alertEvents: events }))));
    await screen.findByText('critical one');
    await userEvent.selectOptions(screen.getByLabelText('Severity'), 'critical');
    expect(within(feed()).getAllByRole('listitem')).toHaveLength(1);
    await userEvent.selectOptions(screen.getByLabelText('State'), 'resolved');
    expect(within(feed()).getByText('No events match these filters.')).toBeTruthy();
  });

  it('notes a lost live connection and keeps the loaded events', async () => {
    const mock = createMockClient(answer(page()));
    const lost = new CombinedError({ networkError: new Error('socket closed') });
    vi.mocked(mock.client.executeSubscription as Client['executeSubscription']).mockImplementation(
      (request) => fromValue({ operation: request, error: lost, stale: false, hasNext: false }) as never,
    );
    renderWithClient(<AlertsPage />, mock);
    expect((await screen.findByText(/Live updates are not connected/)).textContent).toContain('socket closed');
    expect(screen.getByText(/error rate 5%/)).toBeTruthy();
  });

  it('says so when there are no events and no rules', async () => {
    renderWithClient(<AlertsPage />, createMockClient(answer(page({ alertEvents: [], alertRules: [] }))));
    expect(await screen.findByText(/No alerts yet/)).toBeTruthy();
    expect(screen.getByText(/No alert rules yet/)).toBeTruthy();
  });

  it('shows the error, with a retry, when the query fails', async () => {
    renderWithClient(
      <AlertsPage />,
      createMockClient(() => Object.assign(new Error('store down'), { code: 'INTERNAL' })),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('store down');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('AlertsPage: rules editor', () => {
  afterEach(cleanup);

  it('lists rules with the threshold in units, the window and the scope', async () => {
    const slow = rule({
      id: 'r2',
      name: 'Slow',
      metric: 'p95_latency_ms',
      threshold: 2500,
      windowMs: 60_000,
      tenantId: 'acme',
    });
    renderWithClient(<AlertsPage />, createMockClient(answer(page({ alertRules: [rule(), slow] }))));
    const row = await within(await screen.findByRole('region', { name: 'Alert rules' })).findByRole('row', {
      name: /Slow/,
    });
    expect([...row.querySelectorAll('td')].slice(0, 7).map((td) => td.textContent)).toEqual([
      'p95 latency',
      '> 2,500 ms',
      '1 min',
      '20',
      '5 min',
      'warning',
      'tenant Acme',
    ]);
    expect(within(rules()).getByRole('row', { name: /Error rate above 2%/ }).textContent).toContain('> 2%');
  });

  it('creates a rule, sending the input', async () => {
    const mock = createMockClient(
      answer(page(), { CreateAlertRuleMutation: { createAlertRule: { id: 'r9', name: 'Tier 1 success' } } }),
    );
    renderWithClient(<AlertsPage />, mock);
    await userEvent.click(await screen.findByRole('button', { name: 'New rule' }));
    const form = screen.getByRole('form', { name: 'New rule' });
    await userEvent.type(within(form).getByLabelText('Name'), 'Tier 1 success');
    await userEvent.selectOptions(within(form).getByLabelText('Metric'), 'success_rate');
    await userEvent.selectOptions(within(form).getByLabelText('Fires when the value is'), 'lt');
    await userEvent.type(within(form).getByLabelText(/^Threshold/), '0.99');
    await userEvent.selectOptions(within(form).getByLabelText('Window'), '1 min');
    await userEvent.selectOptions(within(form).getByLabelText('Severity'), 'critical');
    await userEvent.selectOptions(within(form).getByLabelText('Tenant'), 'Acme');
    await userEvent.type(within(form).getByLabelText('Tier'), '0');
    await userEvent.click(within(form).getByRole('button', { name: 'Create rule' }));
    expect(await screen.findByText('Rule “Tier 1 success” created.')).toBeTruthy();
    expect(mock.calls.find((c) => c.name === 'CreateAlertRuleMutation')?.variables).toEqual({
      input: {
        name: 'Tier 1 success',
        metric: 'success_rate',
        comparator: 'lt',
        threshold: 0.99,
        windowMs: 60_000,
        minSample: 20,
        cooldownMs: 300_000,
        severity: 'critical',
        enabled: true,
        tenantId: 'acme',
        scope: { tier: 0 },
      },
    });
  });

  it('refuses a rate threshold above 1 with a message, and sends nothing', async () => {
    const mock = createMockClient(answer(page()));
    renderWithClient(<AlertsPage />, mock);
    await userEvent.click(await screen.findByRole('button', { name: 'New rule' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Errors');
    await userEvent.type(screen.getByLabelText(/^Threshold/), '5');
    await userEvent.click(screen.getByRole('button', { name: 'Create rule' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/between 0 and 1/);
    expect(mock.calls.some((c) => c.kind === 'mutation')).toBe(false);
  });

  it('edits a rule, sending its id and the whole input', async () => {
    const mock = createMockClient(
      answer(page(), { UpdateAlertRuleMutation: { updateAlertRule: { id: 'r1', name: 'Errors' } } }),
    );
    renderWithClient(<AlertsPage />, mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit rule Error rate above 2%' }));
    const threshold = screen.getByLabelText(/^Threshold/);
    expect((threshold as HTMLInputElement).value).toBe('0.02');
    await userEvent.clear(threshold);
    await userEvent.type(threshold, '0.03');
    await userEvent.click(screen.getByRole('button', { name: 'Save rule' }));
    await screen.findByText(/saved/);
    const sent = mock.calls.find((c) => c.name === 'UpdateAlertRuleMutation')?.variables;
    expect(sent).toMatchObject({ id: 'r1', input: { threshold: 0.03, name: 'Error rate above 2%', scope: {} } });
  });

  it('shows the server’s refusal inline', async () => {
    const bad = Object.assign(new Error('invalid input: input.scope.routeId: no route "x"'), {
      code: 'BAD_USER_INPUT',
    });
    renderWithClient(<AlertsPage />, createMockClient(answer(page(), { CreateAlertRuleMutation: bad })));
    await userEvent.click(await screen.findByRole('button', { name: 'New rule' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Errors');
    await userEvent.type(screen.getByLabelText(/^Threshold/), '0.1');
    await userEvent.click(screen.getByRole('button', { name: 'Create rule' }));
    expect((await screen.findByRole('alert')).textContent).toContain('no route "x"');
  });

  it('asks before deleting a rule, and sends its id only once confirmed', async () => {
    const mock = createMockClient(answer(page(), { DeleteAlertRuleMutation: { deleteAlertRule: true } }));
    renderWithClient(<AlertsPage />, mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Delete rule Error rate above 2%' }));
    expect(screen.getByText('Delete “Error rate above 2%”?')).toBeTruthy();
    expect(mock.calls.some((c) => c.kind === 'mutation')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(mock.calls.some((c) => c.kind === 'mutation')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Delete rule Error rate above 2%' }));
    await userEvent.click(screen.getByRole('button', { name: 'Confirm delete' }));
    expect(mock.calls.find((c) => c.name === 'DeleteAlertRuleMutation')?.variables).toEqual({ id: 'r1' });
  });

  it('turns a rule off from the table', async () => {
    const mock = createMockClient(
      answer(page(), { EnableAlertRuleMutation: { updateAlertRule: { id: 'r1', enabled: false } } }),
    );
    renderWithClient(<AlertsPage />, mock);
    const toggle = await screen.findByRole('checkbox', { name: 'Enabled: Error rate above 2%' });
    await userEvent.click(toggle);
    expect(mock.calls.find((c) => c.name === 'EnableAlertRuleMutation')?.variables).toEqual({
      id: 'r1',
      enabled: false,
    });
    await screen.findByRole('checkbox', { name: 'Enabled: Error rate above 2%', checked: false });
  });

  it('is read-only for viewers', async () => {
    renderWithClient(<AlertsPage />, createMockClient(answer(page())), '/alerts', { ...TEST_SESSION, role: 'viewer' });
    await screen.findByText(/error rate 5%/);
    expect(screen.queryByRole('button', { name: 'New rule' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Acknowledge|^Edit|^Delete/ })).toBeNull();
    expect(screen.queryByRole('checkbox')).toBeNull();
    const cells = within(rules())
      .getByRole('row', { name: /Error rate/ })
      .querySelectorAll('td');
    expect([...cells].at(-1)?.textContent).toBe('on');
  });
});

// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_SESSION, createMockClient, renderWithClient, type MockClient } from '../lib/testing.js';
import { FlagsPage } from './flags.js';

const route = (id: string, state = 'closed') => ({
  __typename: 'Route',
  id,
  provider: 'openai',
  model: `${id}-model`,
  breaker: { __typename: 'RouteBreaker', state },
});

const flag = (over: Record<string, unknown>) => ({
  __typename: 'FeatureFlag',
  scope: 'tier',
  routeId: null,
  tier: null,
  trafficClass: null,
  enabled: false,
  reason: 'drill',
  updatedBy: 'key-admin-0123456789',
  updatedAt: '2025-03-01T10:00:00.000Z',
  ...over,
});

const flagsData = (featureFlags: unknown[] = []) => ({
  routes: [route('gpt-4o', 'open'), route('claude-sonnet-4')],
  featureFlags,
});

const SEEDED = [
  flag({ id: 'route:gpt-4o', scope: 'route', routeId: 'gpt-4o', reason: 'INC-42: 500s from OpenAI' }),
  flag({ id: 'tier:1', tier: 1, reason: 'fallback paused', updatedAt: '2025-03-01T11:00:00.000Z' }),
  flag({ id: 'tier:1:critical', tier: 1, trafficClass: 'critical', enabled: true, reason: 'critical keeps it' }),
];

function mockWith(mutations: Record<string, unknown> = {}, data = flagsData(SEEDED)): MockClient {
  return createMockClient((name) => (name === 'FlagsQuery' ? data : mutations[name]));
}

const switchFor = (name: string) => screen.getByRole('switch', { name });
const flagsQueries = (mock: MockClient) => mock.calls.filter((c) => c.name === 'FlagsQuery').length;

describe('FlagsPage', () => {
  afterEach(cleanup);

  it('shows every route’s switch with who changed it, when and why', async () => {
    renderWithClient(<FlagsPage />, mockWith());
    await screen.findByRole('table', { name: 'Route switches' });
    expect(switchFor('route gpt-4o').getAttribute('aria-checked')).toBe('false');
    expect(switchFor('route gpt-4o').textContent).toBe('off');
    expect(switchFor('route claude-sonnet-4').getAttribute('aria-checked')).toBe('true');
    const row = screen.getByRole('rowheader', { name: 'gpt-4o' }).closest('tr')!;
    expect(row.textContent).toMatch(/switched off by key key-admi at 2025-03-01 .*INC-42: 500s from OpenAI/);
    expect(
      within(screen.getByRole('rowheader', { name: 'claude-sonnet-4' }).closest('tr')!).getByText('never switched'),
    ).toBeTruthy();
  });

  it('shows a tier off for all classes, on for a class with its own flag, and says where a state comes from', async () => {
    renderWithClient(<FlagsPage />, mockWith());
    await screen.findByRole('table', { name: 'Tier switches' });
    expect(switchFor('fallback 1 for all classes').getAttribute('aria-checked')).toBe('false');
    expect(switchFor('fallback 1 for critical').getAttribute('aria-checked')).toBe('true');
    const batch = switchFor('fallback 1 for batch');
    expect(batch.getAttribute('aria-checked')).toBe('false');
    expect(batch.closest('td')!.textContent).toContain('as all classes');
    expect(switchFor('primary for batch').getAttribute('aria-checked')).toBe('true');
    const log = screen.getByRole('list', { name: 'Flag changes' });
    expect(within(log).getAllByRole('listitem')[0]!.textContent).toMatch(/^fallback 1 for all classesoff/);
  });

  it('switches a route off with the reason typed, then reads the flags again', async () => {
    const mock = mockWith({
      SetRouteEnabledMutation: { setRouteEnabled: { id: 'route:claude-sonnet-4', enabled: false } },
    });
    renderWithClient(<FlagsPage />, mock);
    await userEvent.type(await screen.findByLabelText('Reason'), '  INC-43: Anthropic timeouts ');
    await userEvent.click(switchFor('route claude-sonnet-4'));
    expect((await screen.findByRole('status')).textContent).toBe('Switched route claude-sonnet-4 off.');
    expect(mock.calls.find((c) => c.name === 'SetRouteEnabledMutation')!.variables).toEqual({
      routeId: 'claude-sonnet-4',
      enabled: false,
      reason: 'INC-43: Anthropic timeouts',
    });
    await waitFor(() => expect(flagsQueries(mock)).toBeGreaterThan(1));
    expect((screen.getByLabelText('Reason') as HTMLInputElement).value).toBe('');
  });

  it('switches a tier back on for one class, or for all classes without one', async () => {
    const mock = mockWith({ SetTierEnabledMutation: { setTierEnabled: { id: 'tier:1', enabled: true } } });
    renderWithClient(<FlagsPage />, mock);
    await userEvent.type(await screen.findByLabelText('Reason'), 'batch needs it');
    await userEvent.click(switchFor('fallback 1 for batch'));
    await screen.findByRole('status');
    await userEvent.type(screen.getByLabelText('Reason'), 'over');
    await userEvent.click(switchFor('fallback 1 for all classes'));
    await waitFor(() => expect(mock.calls.filter((c) => c.name === 'SetTierEnabledMutation')).toHaveLength(2));
    expect(mock.calls.filter((c) => c.name === 'SetTierEnabledMutation').map((c) => c.variables)).toEqual([
      { tier: 1, trafficClass: 'batch', enabled: true, reason: 'batch needs it' },
      { tier: 1, trafficClass: null, enabled: true, reason: 'over' },
    ]);
  });

  it('asks for a reason before switching, without asking the gateway', async () => {
    const mock = mockWith();
    renderWithClient(<FlagsPage />, mock);
    await userEvent.click(await screen.findByRole('switch', { name: 'route gpt-4o' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Say why/);
    expect(screen.getByLabelText('Reason').getAttribute('aria-invalid')).toBe('true');
    expect(mock.calls.some((c) => c.kind === 'mutation')).toBe(false);
  });

  it('shows the server’s refusal with its code', async () => {
    const notFound = Object.assign(new Error('no route "gpt-4o"'), { code: 'NOT_FOUND' });
    renderWithClient(<FlagsPage />, mockWith({ SetRouteEnabledMutation: notFound }));
    await userEvent.type(await screen.findByLabelText('Reason'), 'back on');
    await userEvent.click(switchFor('route gpt-4o'));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Not switched (route gpt-4o): NOT_FOUND: no route "gpt-4o"',
    );
  });

  it('puts the server’s issue with the reason beside the reason field', async () => {
    const bad = Object.assign(new Error('invalid input'), {
      code: 'BAD_USER_INPUT',
      extensions: { issues: [{ path: 'reason', message: 'say why' }] },
    });
    renderWithClient(<FlagsPage />, mockWith({ SetRouteEnabledMutation: bad }));
    const reason = await screen.findByLabelText('Reason');
    await userEvent.type(reason, 'x');
    await userEvent.click(switchFor('route gpt-4o'));
    await waitFor(() => expect(reason.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(reason.getAttribute('aria-describedby')!)!.textContent).toBe('say why');
  });

  it('gives viewers the states but no switches and no reason field', async () => {
    renderWithClient(<FlagsPage />, mockWith(), '/flags', { ...TEST_SESSION, role: 'viewer' });
    const routes = await screen.findByRole('table', { name: 'Route switches' });
    expect(screen.queryAllByRole('switch')).toHaveLength(0);
    expect(screen.queryByLabelText('Reason')).toBeNull();
    expect(within(routes).getByText('off').className).toBe('badge failed');
    expect(screen.getByText('Read-only: only admins can switch routes and tiers.')).toBeTruthy();
  });

  it('says nothing has been switched when there are no flags', async () => {
    renderWithClient(<FlagsPage />, mockWith({}, flagsData()));
    await screen.findByText('Nothing has been switched yet: every route and tier is on.');
    expect(screen.getAllByRole('switch').every((s) => s.getAttribute('aria-checked') === 'true')).toBe(true);
  });

  it('shows the server error with a retry when the flags cannot load', async () => {
    const mock = createMockClient(() => Object.assign(new Error('staff only'), { code: 'FORBIDDEN' }));
    renderWithClient(<FlagsPage />, mock);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/FORBIDDEN/);
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(flagsQueries(mock)).toBe(2);
  });
});

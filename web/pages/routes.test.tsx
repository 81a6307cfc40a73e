// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_SESSION, createMockClient, renderWithClient, type Responder } from '../lib/testing.js';
import { RoutesPage } from './routes.js';

function route(id: string, over: Record<string, unknown> = {}) {
  return {
    __typename: 'Route',
    id,
    provider: 'sim',
    model: `${id}-model`,
    qualityClass: 'premium',
    sloP95Ms: 2000,
    breaker: {
      __typename: 'RouteBreaker',
      state: 'closed',
      errorRate: 0,
      requests: 10,
      p50LatencyMs: 100,
      p95LatencyMs: 300,
    },
    synthetic: {
      __typename: 'SyntheticCheck',
      ok: true,
      checkedAt: '2025-03-01T10:00:00.000Z',
      latencyMs: 42,
      error: null,
    },
    ...over,
  };
}

// Built per test, so "time left" is measured from when the test runs.
const makeDrill = () => ({
  __typename: 'Drill',
  routeId: 'gpt-main',
  model: 'gpt-main-model',
  profile: { errorRates: { '500': 1 } },
  startedAt: new Date(Date.now() - 60_000).toISOString(),
  endsAt: new Date(Date.now() + 125_000).toISOString(),
});

function routesData(over: Record<string, unknown> = {}) {
  return {
    routes: [
      route('gpt-main', {
        breaker: {
          __typename: 'RouteBreaker',
          state: 'open',
          errorRate: 0.62,
          requests: 40,
          p50LatencyMs: 900,
          p95LatencyMs: 2500,
        },
        synthetic: {
          __typename: 'SyntheticCheck',
          ok: false,
          checkedAt: '2025-03-01T10:00:00.000Z',
          latencyMs: 12,
          error: 'server_error: HTTP 500',
        },
      }),
      route('claude-b'),
    ],
    liveMetrics: {
      __typename: 'LiveMetrics',
      windowMs: 300000,
      routes: [
        {
          __typename: 'LiveAggregateRow',
          key: 'gpt-main',
          requests: 50,
          calls: 60,
          errorRateByKind: [
            { __typename: 'FailureKindRate', kind: 'timeout', rate: 0.03 },
            { __typename: 'FailureKindRate', kind: 'rate_limited', rate: 0.12 },
          ],
        },
      ],
    },
    drills: [],
    ...over,
  };
}

const answering =
  (mutations: Record<string, unknown> = {}, data = routesData()): Responder =>
  (name) =>
    name === 'RoutesQuery' ? data : mutations[name];

const rowOf = (routeId: string) => screen.getByRole('rowheader', { name: routeId }).closest('tr')!;

describe('RoutesPage', () => {
  afterEach(cleanup);

  it('shows each route with its breaker state, synthetic check and recent errors by kind', async () => {
    renderWithClient(<RoutesPage />, createMockClient(answering()));
    await screen.findByRole('table');
    const main = within(rowOf('gpt-main'));
    expect(main.getByText('open').className).toBe('badge open');
    expect(main.getByText('62.0%')).toBeTruthy();
    expect(main.getByText('over SLO')).toBeTruthy();
    expect(main.getByText(/server_error: HTTP 500/)).toBeTruthy();
    expect(main.getByText('rate_limited 12%, timeout 3%')).toBeTruthy();
    const other = within(rowOf('claude-b'));
    expect(other.getByText('closed').className).toBe('badge closed');
    expect(other.getByText('no calls')).toBeTruthy();
    expect(other.getByText('ok')).toBeTruthy();
  });

  it('starts a drill with the chosen preset’s profile and the duration in seconds, then points to the Overview', async () => {
    const mock = createMockClient(answering({ StartDrillMutation: { startDrill: makeDrill() } }));
    renderWithClient(<RoutesPage />, mock);
    await userEvent.selectOptions(await screen.findByLabelText('Route'), 'claude-b');
    await userEvent.selectOptions(screen.getByLabelText('Fault'), 'Rate-limit storm (30% 429, Retry-After 2 s)');
    await userEvent.clear(screen.getByLabelText('Duration (minutes)'));
    await userEvent.type(screen.getByLabelText('Duration (minutes)'), '3');
    await userEvent.click(screen.getByRole('button', { name: 'Start drill' }));
    const hint = await screen.findByText(/Send traffic and watch the breaker open and the fallback take over/);
    expect(within(hint).getByRole('link', { name: 'Overview' }).getAttribute('href')).toBe('/');
    expect(mock.calls.find((c) => c.name === 'StartDrillMutation')!.variables).toEqual({
      input: {
        routeId: 'claude-b',
        profile: { errorRates: { '429': 0.3 }, retryAfterSeconds: 2 },
        durationSeconds: 180,
      },
    });
    await waitFor(() => expect(mock.calls.filter((c) => c.name === 'RoutesQuery').length).toBeGreaterThan(1));
  });

  it('sends the latency preset as a fixed 30 s latency', async () => {
    const mock = createMockClient(answering({ StartDrillMutation: { startDrill: makeDrill() } }));
    renderWithClient(<RoutesPage />, mock);
    await userEvent.selectOptions(await screen.findByLabelText('Fault'), 'Latency spike past the timeout');
    await userEvent.click(screen.getByRole('button', { name: 'Start drill' }));
    await screen.findByRole('status');
    expect(mock.calls.find((c) => c.name === 'StartDrillMutation')!.variables).toEqual({
      input: { routeId: 'gpt-main', profile: { latency: { kind: 'fixed', ms: 30000 } }, durationSeconds: 120 },
    });
  });

  it('says drills need the simulator when the gateway answers DRILL_UNAVAILABLE', async () => {
    const unavailable = Object.assign(new Error('drills need the built-in simulator, and no provider uses it'), {
      code: 'DRILL_UNAVAILABLE',
    });
    renderWithClient(<RoutesPage />, createMockClient(answering({ StartDrillMutation: unavailable })));
    await userEvent.click(await screen.findByRole('button', { name: 'Start drill' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /^Drills need the built-in simulator \(the demo config\)\./,
    );
  });

  it('refuses a duration outside 1 to 15 minutes without asking the gateway', async () => {
    const mock = createMockClient(answering());
    renderWithClient(<RoutesPage />, mock);
    const minutes = await screen.findByLabelText('Duration (minutes)');
    await userEvent.clear(minutes);
    await userEvent.type(minutes, '20');
    await userEvent.click(screen.getByRole('button', { name: 'Start drill' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Enter whole minutes from 1 to 15.');
    expect(minutes.getAttribute('aria-invalid')).toBe('true');
    expect(mock.calls.some((c) => c.name === 'StartDrillMutation')).toBe(false);
  });

  it('lists a running drill with its fault and time left, and stops it', async () => {
    const mock = createMockClient(
      answering({ StopDrillMutation: { stopDrill: true } }, routesData({ drills: [makeDrill()] })),
    );
    renderWithClient(<RoutesPage />, mock);
    const list = await screen.findByRole('list', { name: 'Active drills' });
    expect(list.textContent).toContain('Primary returns HTTP 500');
    expect(list.textContent).toMatch(/2 min 0\d s left/);
    await userEvent.click(within(list).getByRole('button', { name: 'Stop drill' }));
    await waitFor(() =>
      expect(mock.calls.find((c) => c.name === 'StopDrillMutation')?.variables).toEqual({ routeId: 'gpt-main' }),
    );
    await waitFor(() => expect(mock.calls.filter((c) => c.name === 'RoutesQuery').length).toBeGreaterThan(1));
  });

  it('shows the server message next to the drill when stopping fails', async () => {
    const denied = Object.assign(new Error('admins only'), { code: 'FORBIDDEN' });
    renderWithClient(
      <RoutesPage />,
      createMockClient(answering({ StopDrillMutation: denied }, routesData({ drills: [makeDrill()] }))),
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Stop drill' }));
    expect((await screen.findByRole('alert')).textContent).toBe('admins only');
  });

  it('gives viewers the running drills but no drill controls', async () => {
    renderWithClient(
      <RoutesPage />,
      createMockClient(answering({}, routesData({ drills: [makeDrill()] }))),
      '/routes',
      { ...TEST_SESSION, role: 'viewer' },
    );
    await screen.findByRole('list', { name: 'Active drills' });
    expect(screen.queryByRole('button', { name: 'Start drill' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Stop drill' })).toBeNull();
    expect(screen.getByText('Only admins can start or stop drills.')).toBeTruthy();
  });

  it('says when no routes are configured', async () => {
    renderWithClient(<RoutesPage />, createMockClient(answering({}, routesData({ routes: [] }))));
    await screen.findByText('No routes are configured.');
  });

  it('shows the server error with a retry when routes cannot load', async () => {
    const mock = createMockClient(() => Object.assign(new Error('not allowed'), { code: 'FORBIDDEN' }));
    renderWithClient(<RoutesPage />, mock);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/FORBIDDEN/);
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(mock.calls.filter((c) => c.name === 'RoutesQuery').length).toBe(2);
  });
});

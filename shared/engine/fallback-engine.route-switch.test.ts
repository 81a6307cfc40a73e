import { describe, expect, it } from 'vitest';
import type { TrafficClass } from '../contracts/policy.js';
import { ask, createEngineHarness, rejection } from '../testing/engine-harness.js';
import type { RouteSwitch } from './ports.js';

/** Operator switches in memory: routes by id, tiers by index for one class or (`*`) for all. */
function createSwitches() {
  const routesOff = new Set<string>();
  const tiersOff = new Set<string>();
  const routeSwitch: RouteSwitch = {
    isEnabled: (route, tier, trafficClass) =>
      !routesOff.has(route.id) && !tiersOff.has(`${tier}:${trafficClass}`) && !tiersOff.has(`${tier}:*`),
  };
  return {
    routeSwitch,
    route: (id: string, on: boolean) => void (on ? routesOff.delete(id) : routesOff.add(id)),
    tier: (tier: number, trafficClass: TrafficClass | '*', on: boolean) =>
      void (on ? tiersOff.delete(`${tier}:${trafficClass}`) : tiersOff.add(`${tier}:${trafficClass}`)),
  };
}

const withSwitches = () => {
  const switches = createSwitches();
  return { switches, h: createEngineHarness({ engine: { routeSwitch: switches.routeSwitch } }) };
};

describe('route switches (feature flags)', () => {
  it('skips a switched-off route without a call, recorded as disabled, and falls back', async () => {
    const { h, switches } = withSwitches();
    switches.route('gpt-4o', false);
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({ routeId: 'claude-sonnet-4', tier: 1, attempts: 1 });
    expect(r.degradedReasons).toEqual(['fallback']);
    expect(h.providers.callsTo('gpt-4o')).toBe(0);
    expect(h.decisions[0]!.attempts[0]).toMatchObject({
      routeId: 'gpt-4o',
      tier: 0,
      outcome: 'skipped',
      skipReason: 'disabled',
      retry: 0,
    });
  });

  it('uses the route again once it is switched back on', async () => {
    const { h, switches } = withSwitches();
    switches.route('gpt-4o', false);
    expect((await h.run(ask('critical'))).routeId).toBe('claude-sonnet-4');
    switches.route('gpt-4o', true);
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({ routeId: 'gpt-4o', degraded: false });
    expect(h.decisions[1]!.attempts.map((a) => a.outcome)).toEqual(['success']);
  });

  it('skips every route of a tier switched off for one class, and leaves other classes alone', async () => {
    const { h, switches } = withSwitches();
    switches.tier(0, 'non_critical', false);
    const off = await h.run(ask('non_critical'));
    expect(off.routeId).toBe('gpt-4.1-mini');
    expect(h.decisions[0]!.attempts[0]).toMatchObject({ routeId: 'claude-3-5-haiku', skipReason: 'disabled' });
    expect((await h.run(ask('critical'))).routeId).toBe('gpt-4o');
  });

  it('skips a tier switched off for every class in each class', async () => {
    const { h, switches } = withSwitches();
    switches.tier(0, '*', false);
    expect((await h.run(ask('critical'))).routeId).toBe('claude-sonnet-4');
    expect((await h.run(ask('internal'))).routeId).toBe('gemini-2.0-flash');
    const skipped = h.decisions.map((d) => d.attempts[0]);
    expect(skipped.map((a) => [a!.routeId, a!.skipReason])).toEqual([
      ['gpt-4o', 'disabled'],
      ['gpt-4.1-nano', 'disabled'],
    ]);
  });

  it('lets the class degrade as usual when every route is off', async () => {
    const { h, switches } = withSwitches();
    switches.tier(0, 'non_critical', false);
    switches.tier(1, 'non_critical', false);
    const r = await h.run(ask('non_critical'));
    expect(r).toMatchObject({ source: 'default_response', degraded: true, attempts: 0 });
    expect(h.providers.calls).toHaveLength(0);
    expect(h.decisions[0]!.attempts.map((a) => a.skipReason)).toEqual(['disabled', 'disabled']);
  });

  it('fails with ALL_TIERS_FAILED naming the switched-off routes when the class has nothing else', async () => {
    const { h, switches } = withSwitches();
    for (const tier of [0, 1, 2]) switches.tier(tier, 'critical', false);
    const error = await rejection(h.run(ask('critical')));
    expect(error.code).toBe('ALL_TIERS_FAILED');
    expect(error.message).toBe('no route was called: switched off (gpt-4o, claude-sonnet-4, gpt-4o-mini)');
    expect(h.providers.calls).toHaveLength(0);
    expect(h.decisions[0]).toMatchObject({ outcome: 'failed', errorCode: 'ALL_TIERS_FAILED', finalRouteId: null });
  });

  it('ends an experiment at its fail-fast step when its only route is off', async () => {
    const { h, switches } = withSwitches();
    switches.route('gpt-4.1', false);
    const error = await rejection(h.run(ask('experiment')));
    expect(error.code).toBe('ALL_TIERS_FAILED');
    expect(h.decisions[0]!.attempts.map((a) => [a.routeId, a.skipReason])).toEqual([['gpt-4.1', 'disabled']]);
  });

  it('neither counts a switched-off route against its breaker nor takes its probe slot', async () => {
    const { h, switches } = withSwitches();
    switches.route('gpt-4o', false);
    for (let i = 0; i < 10; i++) await h.run(ask('critical'));
    expect(await h.engine.breakers.snapshot('gpt-4o')).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      probesInFlight: 0,
    });
  });
});

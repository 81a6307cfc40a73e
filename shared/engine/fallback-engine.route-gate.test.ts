import { describe, expect, it } from 'vitest';
import type { RouteSpec } from '../contracts/route.js';
import type { FakeClock } from '../testing/fake-clock.js';
import { ask, createEngineHarness, rejection } from '../testing/engine-harness.js';
import type { RouteGate } from './ports.js';

/** A fixed one-minute window per route on the fake clock, like the server's shared limiter. */
function createMinuteGate(clockOf: () => FakeClock, requestsPerMinute: Record<string, number>) {
  const windows = new Map<string, { startMs: number; used: number }>();
  const outputTokens = new Map<string, number>();
  const gate: RouteGate = {
    async admit(route: RouteSpec) {
      const limit = requestsPerMinute[route.id];
      if (limit === undefined) return true;
      const now = clockOf().now();
      const w = windows.get(route.id);
      const current = w && now < w.startMs + 60_000 ? w : { startMs: now, used: 0 };
      if (current.used >= limit) return false;
      windows.set(route.id, { ...current, used: current.used + 1 });
      return true;
    },
    record(route, usage) {
      outputTokens.set(route.id, (outputTokens.get(route.id) ?? 0) + usage.outputTokens);
    },
  };
  return { gate, outputTokens };
}

const withGate = (requestsPerMinute: Record<string, number>) => {
  // The gate reads the harness's fake clock, which exists only once the harness (given the gate) does.
  const ref: { clock?: FakeClock } = {};
  const { gate, outputTokens } = createMinuteGate(() => ref.clock!, requestsPerMinute);
  const h = createEngineHarness({ engine: { routeGate: gate } });
  ref.clock = h.clock;
  return { h, outputTokens };
};

describe('route gate (shared route rate limits)', () => {
  it('skips a route over its limit to the next route, recorded as rate_limited, with no call', async () => {
    const { h } = withGate({ 'gpt-4o': 1 });
    expect((await h.run(ask('critical'))).routeId).toBe('gpt-4o');
    const second = await h.run(ask('critical'));
    expect(second.routeId).toBe('claude-sonnet-4');
    expect(h.providers.callsTo('gpt-4o')).toBe(1);
    expect(h.decisions.at(-1)!.attempts[0]).toMatchObject({
      routeId: 'gpt-4o',
      outcome: 'skipped',
      skipReason: 'rate_limited',
    });
    expect(second.degradedReasons).toContain('fallback');
  });

  it('sends traffic back to the route once its minute has passed', async () => {
    const { h } = withGate({ 'gpt-4o': 1 });
    await h.run(ask('critical'));
    expect((await h.run(ask('critical'))).routeId).toBe('claude-sonnet-4');
    await h.clock.advance(60_000);
    expect((await h.run(ask('critical'))).routeId).toBe('gpt-4o');
  });

  it('counts the output tokens of admitted calls', async () => {
    const { h, outputTokens } = withGate({});
    const r = await h.run(ask('critical'));
    expect(outputTokens.get('gpt-4o')).toBe(r.usage.outputTokens);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
  });

  it('does not open the breaker or take the probe slot of a route it refuses', async () => {
    const { h } = withGate({ 'gpt-4o': 0 });
    for (let i = 0; i < 10; i++) await h.run(ask('critical'));
    expect((await h.engine.breakers.snapshot('gpt-4o')).state).toBe('closed');
    expect((await h.engine.breakers.snapshot('gpt-4o')).probesInFlight).toBe(0);
  });

  it('fails with ALL_TIERS_FAILED and no call when every route of the class is over its limit', async () => {
    const { h } = withGate({ 'gpt-4.1': 0 });
    const error = await rejection(h.run(ask('experiment')));
    expect(error.code).toBe('ALL_TIERS_FAILED');
    expect(h.providers.calls).toHaveLength(0);
    expect(h.decisions.at(-1)!.attempts.map((a) => a.skipReason)).toEqual(['rate_limited']);
  });
});

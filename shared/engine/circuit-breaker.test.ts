import { describe, expect, it } from 'vitest';
import { RouteSpecSchema, type RouteSpecInput } from '../contracts/route.js';
import { createFakeClock } from '../testing/fake-clock.js';
import {
  applyCheck,
  createCircuitBreakers,
  emptyBreakerSnapshot,
  estimateQuantile,
  LATENCY_BOUNDS_MS,
  type BreakerOptions,
} from './circuit-breaker.js';
import type { BreakEvent } from './events.js';
import { createMemoryBreakerStore } from './memory-breaker-store.js';
import type { BreakerStore } from './ports.js';

const route = (input: Partial<RouteSpecInput> = {}) =>
  RouteSpecSchema.parse({ id: 'openai:gpt-4o', provider: 'openai', model: 'gpt-4o', ...input });

const success = { ok: true, countsForHealth: true, latencyMs: 400 };
const healthFailure = { ok: false, countsForHealth: true, latencyMs: 400 };
const requestFailure = { ok: false, countsForHealth: false, latencyMs: 30 };

function setup(options?: BreakerOptions, store: BreakerStore = createMemoryBreakerStore()) {
  const clock = createFakeClock();
  const events: BreakEvent[] = [];
  const breakers = createCircuitBreakers({ store, clock, options, onStateChange: (e) => events.push(e) });
  return { clock, events, breakers, store };
}

async function openBreaker(breakers: ReturnType<typeof setup>['breakers'], r = route()) {
  for (let i = 0; i < 5; i++) await breakers.record(r, healthFailure);
}

describe('circuit breaker: closed -> open', () => {
  it('opens after 5 consecutive retryable failures', async () => {
    const { breakers } = setup();
    const r = route();
    for (let i = 0; i < 4; i++) await breakers.record(r, healthFailure);
    expect((await breakers.snapshot(r.id)).state).toBe('closed');
    await breakers.record(r, healthFailure);
    const snap = await breakers.snapshot(r.id);
    expect(snap).toMatchObject({ state: 'open', openReason: 'consecutive_failures', consecutiveFailures: 5 });
  });

  it('resets the consecutive count on a success', async () => {
    const { breakers } = setup();
    const r = route();
    for (let i = 0; i < 4; i++) await breakers.record(r, healthFailure);
    await breakers.record(r, success);
    for (let i = 0; i < 4; i++) await breakers.record(r, healthFailure);
    expect(await breakers.snapshot(r.id)).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
  });

  it('does not open on failures that do not count for health', async () => {
    const { breakers } = setup();
    const r = route();
    for (let i = 0; i < 100; i++) await breakers.record(r, requestFailure);
    expect(await breakers.snapshot(r.id)).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect((await breakers.stats(r.id)).requests).toBe(0);
  });

  it('opens on an error rate over 2% once the window holds minRequests', async () => {
    const { breakers } = setup();
    const r = route();
    // 3 isolated failures in 50 requests: 6%, never 5 in a row.
    for (let i = 0; i < 49; i++) await breakers.record(r, i % 16 === 15 ? healthFailure : success);
    expect((await breakers.snapshot(r.id)).state).toBe('closed');
    await breakers.record(r, success);
    expect(await breakers.snapshot(r.id)).toMatchObject({ state: 'open', openReason: 'error_rate' });
  });

  it('does not trip on the error rate below minRequests', async () => {
    const { breakers } = setup();
    const r = route();
    for (let i = 0; i < 40; i++) await breakers.record(r, i % 2 === 0 ? healthFailure : success);
    expect((await breakers.snapshot(r.id)).state).toBe('closed');
    expect((await breakers.stats(r.id)).errorRate).toBe(0.5);
  });

  it('does not trip at exactly the error-rate threshold', async () => {
    const { breakers } = setup();
    const r = route();
    for (let i = 0; i < 100; i++) await breakers.record(r, i % 50 === 49 ? healthFailure : success);
    expect((await breakers.snapshot(r.id)).state).toBe('closed');
  });

  it('opens on a p95 latency above the route SLO', async () => {
    const { breakers } = setup();
    const r = route({ sloP95Ms: 2_000 });
    for (let i = 0; i < 50; i++) await breakers.record(r, { ...success, latencyMs: 5_000 });
    expect(await breakers.snapshot(r.id)).toMatchObject({ state: 'open', openReason: 'latency' });
  });

  it('ignores latency when the route has no SLO or the p95 is within it', async () => {
    const { breakers } = setup();
    const noSlo = route({ id: 'no-slo' });
    const fast = route({ id: 'fast', sloP95Ms: 2_000 });
    for (let i = 0; i < 60; i++) {
      await breakers.record(noSlo, { ...success, latencyMs: 90_000 });
      await breakers.record(fast, { ...success, latencyMs: 500 });
    }
    expect((await breakers.snapshot('no-slo')).state).toBe('closed');
    expect((await breakers.snapshot('fast')).state).toBe('closed');
  });
});

describe('circuit breaker: open -> half_open -> closed | open', () => {
  it('does not allow an open route until the cooldown has passed', async () => {
    const { breakers, clock } = setup();
    const r = route();
    await openBreaker(breakers, r);
    expect(await breakers.check(r)).toEqual({ allowed: false, state: 'open' });
    await clock.advance(29_999);
    expect(await breakers.check(r)).toEqual({ allowed: false, state: 'open' });
    await clock.advance(1);
    expect(await breakers.check(r)).toEqual({ allowed: true, state: 'half_open' });
  });

  it('allows exactly halfOpenProbes probes and frees a slot when one reports back', async () => {
    const { breakers, clock } = setup({ halfOpenProbes: 2 });
    const r = route();
    await openBreaker(breakers, r);
    await clock.advance(30_000);
    const allowed = await Promise.all([breakers.check(r), breakers.check(r), breakers.check(r)]);
    expect(allowed.map((a) => a.allowed)).toEqual([true, true, false]);
    // A probe that failed because of the request says nothing about the route but must give its slot back.
    await breakers.record(r, requestFailure);
    expect(await breakers.snapshot(r.id)).toMatchObject({ state: 'half_open', probesInFlight: 1 });
    expect((await breakers.check(r)).allowed).toBe(true);
    expect((await breakers.check(r)).allowed).toBe(false);
  });

  it('closes on a probe success and clears the window', async () => {
    const { breakers, clock } = setup();
    const r = route();
    await openBreaker(breakers, r);
    await clock.advance(30_000);
    await breakers.check(r);
    await breakers.record(r, success);
    expect(await breakers.snapshot(r.id)).toEqual(emptyBreakerSnapshot());
    expect(await breakers.check(r)).toEqual({ allowed: true, state: 'closed' });
  });

  it('needs successesToClose probe successes to close', async () => {
    const { breakers, clock } = setup({ successesToClose: 2 });
    const r = route();
    await openBreaker(breakers, r);
    await clock.advance(30_000);
    await breakers.check(r);
    await breakers.record(r, success);
    expect((await breakers.snapshot(r.id)).state).toBe('half_open');
    await breakers.check(r);
    await breakers.record(r, success);
    expect((await breakers.snapshot(r.id)).state).toBe('closed');
  });

  it('re-opens on a probe failure with a new openedAtMs and a fresh cooldown', async () => {
    const { breakers, clock } = setup();
    const r = route();
    await openBreaker(breakers, r);
    const firstOpen = (await breakers.snapshot(r.id)).openedAtMs;
    await clock.advance(30_000);
    await breakers.check(r);
    await clock.advance(1_200);
    await breakers.record(r, healthFailure);
    const snap = await breakers.snapshot(r.id);
    expect(snap).toMatchObject({ state: 'open', openReason: 'probe_failed', probesInFlight: 0 });
    expect(snap.openedAtMs).toBe(firstOpen! + 31_200);
    await clock.advance(29_999);
    expect((await breakers.check(r)).allowed).toBe(false);
    await clock.advance(1);
    expect((await breakers.check(r)).allowed).toBe(true);
  });

  it('ignores late results that land while open', async () => {
    const { breakers } = setup();
    const r = route();
    await openBreaker(breakers, r);
    const before = await breakers.snapshot(r.id);
    await breakers.record(r, success);
    expect(await breakers.snapshot(r.id)).toEqual(before);
  });

  it('fires onStateChange with from, to and reason on every transition', async () => {
    const { breakers, clock, events } = setup();
    const r = route();
    const t0 = clock.now();
    await openBreaker(breakers, r);
    await clock.advance(30_000);
    await breakers.check(r);
    await breakers.record(r, healthFailure);
    await clock.advance(30_000);
    await breakers.check(r);
    await breakers.record(r, success);
    expect(events).toEqual([
      { routeId: r.id, from: 'closed', to: 'open', reason: 'consecutive_failures', atMs: t0 },
      { routeId: r.id, from: 'open', to: 'half_open', reason: 'cooldown_elapsed', atMs: t0 + 30_000 },
      { routeId: r.id, from: 'half_open', to: 'open', reason: 'probe_failed', atMs: t0 + 30_000 },
      { routeId: r.id, from: 'open', to: 'half_open', reason: 'cooldown_elapsed', atMs: t0 + 60_000 },
      { routeId: r.id, from: 'half_open', to: 'closed', reason: 'probe_succeeded', atMs: t0 + 60_000 },
    ]);
  });

  it('survives a listener that throws', async () => {
    const clock = createFakeClock();
    const breakers = createCircuitBreakers({
      store: createMemoryBreakerStore(),
      clock,
      onStateChange: () => {
        throw new Error('listener bug');
      },
    });
    await expect(openBreaker(breakers)).resolves.toBeUndefined();
    expect((await breakers.snapshot(route().id)).state).toBe('open');
  });
});

describe('circuit breaker: rolling window', () => {
  it('rolls old buckets out of the window', async () => {
    const { breakers, clock } = setup();
    const r = route();
    for (let i = 0; i < 45; i++) await breakers.record(r, i % 15 === 14 ? healthFailure : success);
    expect(await breakers.stats(r.id)).toMatchObject({ requests: 45, errorRate: 3 / 45 });
    await clock.advance(50_000);
    expect((await breakers.stats(r.id)).requests).toBe(45);
    await clock.advance(10_000);
    expect(await breakers.stats(r.id)).toMatchObject({ requests: 0, errorRate: 0 });
    // Had the 3 old failures stayed, 3 in 100 (3%) would trip.
    for (let i = 0; i < 55; i++) await breakers.record(r, success);
    expect((await breakers.snapshot(r.id)).state).toBe('closed');
    expect((await breakers.stats(r.id)).requests).toBe(55);
  });

  it('keeps at most bucketCount buckets however long it runs', async () => {
    const { breakers, clock } = setup();
    const r = route();
    for (let i = 0; i < 100; i++) {
      await breakers.record(r, success);
      await clock.advance(7_000);
    }
    const snap = await breakers.snapshot(r.id);
    expect(snap.buckets.length).toBeLessThanOrEqual(6);
    for (const b of snap.buckets) expect(b.latencyCounts).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
  });

  it('estimates p50 and p95 latency from the histogram', async () => {
    const { breakers } = setup();
    const r = route();
    for (let i = 0; i < 90; i++) await breakers.record(r, { ...success, latencyMs: 800 });
    for (let i = 0; i < 10; i++) await breakers.record(r, { ...success, latencyMs: 12_000 });
    const stats = await breakers.stats(r.id);
    expect(stats.p50LatencyMs).toBeGreaterThan(750);
    expect(stats.p50LatencyMs).toBeLessThanOrEqual(1_000);
    expect(stats.p95LatencyMs).toBeGreaterThan(10_000);
    expect(stats.p95LatencyMs).toBeLessThanOrEqual(15_000);
    expect(await setup().breakers.stats('unused')).toMatchObject({ requests: 0, p50LatencyMs: undefined });
  });

  it('reads latencies past the last bound as the last bound', () => {
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    counts[LATENCY_BOUNDS_MS.length] = 3;
    expect(estimateQuantile(counts, 0.95)).toBe(120_000);
  });
});

describe('circuit breaker: state', () => {
  it('round-trips its snapshot through JSON', async () => {
    const { breakers, clock } = setup({ halfOpenProbes: 2 });
    const r = route();
    for (let i = 0; i < 30; i++) await breakers.record(r, { ...success, latencyMs: 50 * i });
    await openBreaker(breakers, r);
    await clock.advance(30_000);
    await breakers.check(r);
    const snap = await breakers.snapshot(r.id);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);

    const restored = createMemoryBreakerStore();
    await restored.set(r.id, JSON.parse(JSON.stringify(snap)));
    const other = createCircuitBreakers({ store: restored, clock, options: { halfOpenProbes: 2 } });
    expect(await other.check(r)).toEqual({ allowed: true, state: 'half_open' });
    expect(await other.check(r)).toEqual({ allowed: false, state: 'half_open' });
  });

  it('shares state between breakers over the same store', async () => {
    const store = createMemoryBreakerStore();
    const a = setup(undefined, store);
    const b = createCircuitBreakers({ store, clock: a.clock });
    await openBreaker(a.breakers);
    expect(await b.check(route())).toEqual({ allowed: false, state: 'open' });
  });

  it('stores snapshots frozen, so no caller can change stored state', async () => {
    const store = createMemoryBreakerStore();
    await store.set('r', emptyBreakerSnapshot());
    const got = await store.get('r');
    expect(() => {
      got!.consecutiveFailures = 99;
    }).toThrow(TypeError);
    expect(await store.get('r')).toEqual(emptyBreakerSnapshot());
    expect(await store.get('missing')).toBeUndefined();
  });

  it('does not write on a check that changes nothing', () => {
    const closed = emptyBreakerSnapshot();
    expect(applyCheck(closed, 0).snapshot).toBe(closed);
  });
});

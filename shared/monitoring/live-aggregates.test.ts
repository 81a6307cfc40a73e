import { describe, expect, it } from 'vitest';
import type { AttemptRecord, Decision } from '../contracts/decision.js';
import { attemptRecord } from '../testing/decision-fixtures.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { createLiveAggregates, scopeForSubject } from './live-aggregates.js';

const attempt = attemptRecord;

const failed = (over: Partial<AttemptRecord> = {}) =>
  attempt({ outcome: 'failure', failureKind: 'server_error', outputTokens: 0, costUsd: 0, ...over });

/** A decision answered by its last successful attempt (or failed when none succeeded). */
function decision(attempts: AttemptRecord[] = [attempt()], over: Partial<Decision> = {}): Decision {
  const final = attempts.findLast((a) => a.outcome === 'success');
  return {
    id: 'd',
    tenantId: 'acme',
    trafficClass: 'critical',
    policyVersion: 1,
    sensitive: false,
    outcome: final ? 'success' : 'failed',
    originalRouteId: attempts[0]?.routeId ?? null,
    finalRouteId: final?.routeId ?? null,
    finalTier: final?.tier ?? null,
    degraded: false,
    degradedReasons: [],
    budgetBand: 'normal',
    attempts,
    startedAtMs: 0,
    totalLatencyMs: attempts.reduce((sum, a) => sum + a.latencyMs, 0),
    totalCostUsd: attempts.reduce((sum, a) => sum + a.costUsd, 0),
    inputTokens: attempts.reduce((sum, a) => sum + a.inputTokens, 0),
    outputTokens: attempts.reduce((sum, a) => sum + a.outputTokens, 0),
    ...over,
  };
}

const fellBack = () =>
  decision([failed(), attempt({ index: 1, tier: 1, routeId: 'claude', provider: 'anthropic', model: 'claude' })]);

function setup() {
  const clock = createFakeClock();
  return { clock, live: createLiveAggregates({ clock }) };
}

describe('live aggregates: counting', () => {
  it('counts requests, successes and fallbacks per class and overall', () => {
    const { live } = setup();
    for (let i = 0; i < 3; i++) live.recordDecision(decision());
    live.recordDecision(fellBack());
    live.recordDecision(decision([failed()]));
    expect(live.read('success_rate', {}, 60_000)).toEqual({ value: 4 / 5, sample: 5 });
    expect(live.read('fallback_rate', { trafficClass: 'critical' }, 60_000)).toEqual({ value: 1 / 5, sample: 5 });
    expect(live.read('success_rate', { trafficClass: 'batch' }, 60_000)).toEqual({ value: undefined, sample: 0 });
  });

  it('counts error rate per route from its calls, including routes that were fallen back from', () => {
    const { live } = setup();
    live.recordDecision(fellBack());
    live.recordDecision(decision());
    expect(live.read('error_rate', { routeId: 'gpt-4o' }, 60_000)).toEqual({ value: 1 / 2, sample: 2 });
    expect(live.read('error_rate', { routeId: 'claude' }, 60_000)).toEqual({ value: 0, sample: 1 });
    expect(live.read('success_rate', { routeId: 'gpt-4o' }, 60_000)).toEqual({ value: 1 / 2, sample: 2 });
  });

  it('leaves failures a caller caused out of the error rate but shows them by kind', () => {
    const { live } = setup();
    live.recordDecision(decision([failed({ failureKind: 'bad_request' })]));
    live.recordDecision(decision([failed({ failureKind: 'timeout' })]));
    expect(live.read('error_rate', { routeId: 'gpt-4o' }, 60_000)).toEqual({ value: 1 / 2, sample: 2 });
    const [row] = live.snapshot(60_000).routes;
    expect(row?.errorRateByKind).toMatchObject({ bad_request: 0.5, timeout: 0.5, server_error: 0 });
  });

  it('reads tier 0 success as requests that reached tier 0 and were answered there', () => {
    const { live } = setup();
    live.recordDecision(decision());
    live.recordDecision(fellBack());
    expect(live.read('success_rate', { tier: 0 }, 300_000)).toEqual({ value: 1 / 2, sample: 2 });
    expect(live.read('success_rate', { tier: 1 }, 300_000)).toEqual({ value: 1, sample: 1 });
  });

  it('tracks a multi-field scope from its first read on', () => {
    const { live } = setup();
    const scope = { routeId: 'gpt-4o', tenantId: 'acme' };
    live.recordDecision(decision([failed()]));
    expect(live.read('error_rate', scope, 60_000)).toEqual({ value: undefined, sample: 0 });
    live.recordDecision(decision([failed()]));
    live.recordDecision(decision([failed()], { tenantId: 'other' }));
    expect(live.read('error_rate', scope, 60_000)).toEqual({ value: 1, sample: 1 });
  });

  it('narrows a fanned-out rule to one route within its other scope fields', () => {
    const { live } = setup();
    const scope = scopeForSubject({ tenantId: 'acme', trafficClass: 'critical' }, 'route:gpt-4o');
    const plain = { tenantId: 'acme', trafficClass: 'critical' } as const;
    live.read('error_rate', scope, 60_000);
    live.read('success_rate', plain, 60_000);
    live.recordDecision(fellBack());
    live.recordDecision(decision([failed()], { trafficClass: 'batch' }));
    expect(live.read('error_rate', scope, 60_000)).toEqual({ value: 1, sample: 1 });
    expect(live.read('success_rate', plain, 60_000)).toEqual({ value: 1, sample: 1 });
  });

  it('sums tokens and cost per route from calls and per class from requests', () => {
    const { live } = setup();
    live.recordDecision(fellBack());
    const { routes, classes } = live.snapshot(60_000);
    expect(routes.map((r) => [r.key, r.tokensIn, r.tokensOut])).toEqual([
      ['claude', 10, 20],
      ['gpt-4o', 10, 0],
    ]);
    expect(classes).toMatchObject([{ key: 'critical', requests: 1, tokensIn: 20, tokensOut: 20, fallbackRate: 1 }]);
    expect(classes[0]?.costUsd).toBeCloseTo(0.001);
  });
});

describe('live aggregates: windows', () => {
  it('drops buckets older than the window', async () => {
    const { clock, live } = setup();
    live.recordDecision(decision([failed()]));
    await clock.advance(30_000);
    live.recordDecision(decision());
    expect(live.read('error_rate', { routeId: 'gpt-4o' }, 60_000).sample).toBe(2);
    await clock.advance(40_000);
    expect(live.read('error_rate', { routeId: 'gpt-4o' }, 60_000)).toEqual({ value: 0, sample: 1 });
    expect(live.read('error_rate', { routeId: 'gpt-4o' }, 300_000)).toEqual({ value: 1 / 2, sample: 2 });
    await clock.advance(3_600_000);
    expect(live.read('error_rate', { routeId: 'gpt-4o' }, 3_600_000)).toEqual({ value: undefined, sample: 0 });
  });

  it('does not read a ring slot reused by a newer bucket as old data', async () => {
    const { clock, live } = setup();
    live.recordDecision(decision());
    await clock.advance(3_600_000);
    live.recordDecision(decision([failed()]));
    expect(live.read('error_rate', {}, 3_600_000)).toEqual({ value: 1, sample: 1 });
  });

  it('snapshots the 1 min, 5 min and 1 h windows separately', async () => {
    const { clock, live } = setup();
    live.recordDecision(decision());
    await clock.advance(120_000);
    live.recordDecision(decision());
    await clock.advance(600_000);
    live.recordDecision(decision());
    expect([60_000, 300_000, 3_600_000].map((w) => live.snapshot(w).routes[0]?.requests)).toEqual([1, 1, 3]);
  });
});

describe('live aggregates: latency', () => {
  it('estimates p95 within the resolution of the histogram bucket', () => {
    const { live } = setup();
    for (let ms = 1; ms <= 1_000; ms++) live.recordDecision(decision([attempt({ latencyMs: ms * 2 })]));
    const p95 = live.read('p95_latency_ms', { routeId: 'gpt-4o' }, 60_000);
    // The true p95 is 1 900 ms, inside the (1 500, 2 000] bucket: the estimate may be anywhere in it.
    expect(p95.sample).toBe(1_000);
    expect(p95.value).toBeGreaterThan(1_500);
    expect(p95.value).toBeLessThanOrEqual(2_000);
    const [row] = live.snapshot(60_000).routes;
    expect(row?.p50).toBeGreaterThan(750);
    expect(row?.p50).toBeLessThanOrEqual(1_000);
    expect(row?.p99).toBeLessThanOrEqual(2_000);
  });

  it('uses total request latency for classes and call latency for routes', () => {
    const { live } = setup();
    live.recordDecision(fellBack());
    expect(live.read('p95_latency_ms', { trafficClass: 'critical' }, 60_000).value).toBeGreaterThan(750);
    expect(live.read('p95_latency_ms', { routeId: 'claude' }, 60_000).value).toBeLessThanOrEqual(500);
  });
});

describe('live aggregates: subjects and synthetic checks', () => {
  it('fans per-route metrics out to the routes seen, and everything else to all', () => {
    const { live } = setup();
    live.recordDecision(fellBack());
    expect(live.subjects('error_rate', {})).toEqual(['route:claude', 'route:gpt-4o']);
    expect(live.subjects('error_rate', { routeId: 'claude' })).toEqual(['all']);
    expect(live.subjects('fallback_rate', {})).toEqual(['all']);
    expect(scopeForSubject({ tier: 0 }, 'route:claude')).toEqual({ tier: 0, routeId: 'claude' });
  });

  it('counts consecutive synthetic failures and resets on success', () => {
    const { live } = setup();
    live.recordSynthetic('gpt-4o', false, 100);
    live.recordSynthetic('gpt-4o', false, 100);
    expect(live.syntheticFailuresInARow('gpt-4o')).toBe(2);
    expect(live.read('synthetic_failures', { routeId: 'gpt-4o' }, 300_000)).toEqual({ value: 2, sample: 1 });
    expect(live.subjects('synthetic_failures', {})).toEqual(['route:gpt-4o']);
    live.recordSynthetic('gpt-4o', true, 100);
    expect(live.read('synthetic_failures', {}, 300_000)).toEqual({ value: 0, sample: 1 });
    expect(live.read('synthetic_failures', { routeId: 'claude' }, 300_000)).toEqual({ value: undefined, sample: 0 });
  });

  it('leaves budget and breaker metrics to the server', () => {
    const { live } = setup();
    live.recordDecision(decision());
    expect(live.read('budget_used_fraction', {}, 300_000)).toEqual({ value: undefined, sample: 0 });
    expect(live.read('breaker_open', {}, 300_000)).toEqual({ value: undefined, sample: 0 });
  });
});

describe('live aggregates: memory', () => {
  it('stays bounded after 1 000 000 records across 10 000 routes and evicts idle keys', async () => {
    const { clock, live } = setup();
    const decisions = Array.from({ length: 10_000 }, (_, i) =>
      decision([attempt({ routeId: `r${i}`, model: `m${i % 10}` })]),
    );
    for (let i = 0; i < 1_000_000; i++) {
      if (i > 0 && i % 100_000 === 0) await clock.advance(600_000);
      live.recordDecision(decisions[i % 10_000]!);
    }
    const { keys, buckets } = live.memory();
    // 10 000 routes + 10 models + 1 class + 1 tenant + 1 tier + all; each key keeps at most one ring (360 buckets).
    expect(keys).toBe(10_014);
    expect(buckets).toBeLessThanOrEqual(keys * 360);
    // Only the last hour's buckets are live: 6 of the 10 ten-minute steps per route.
    expect(live.snapshot(3_600_000).routes[0]?.requests).toBe(60);
    await clock.advance(3_600_001);
    live.recordSynthetic('r1', true, 10);
    // What is left: the probe and the all-traffic series, which is never evicted (one ring at most).
    expect(live.memory().keys).toBe(2);
    expect(live.memory().buckets).toBeLessThanOrEqual(360);
  }, 120_000);
});

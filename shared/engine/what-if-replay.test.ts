import { describe, expect, it } from 'vitest';
import type { AttemptRecord, Decision } from '../contracts/decision.js';
import type { Policy, PolicyInput } from '../contracts/policy.js';
import type { ReplayMetrics, StoredDecision } from '../contracts/what-if.js';
import { attemptRecord } from '../testing/decision-fixtures.js';
import { createSeededRandom } from '../testing/seeded-random.js';
import { DEFAULT_ROUTES } from './default-routes.js';
import { assertPolicy, createDefaultPolicy, DEFAULT_POLICY } from './policy-matrix.js';
import { observeRouteHealth } from './route-health.js';
import { compareReplays, replayWindow, summarizeRecorded } from './what-if-replay.js';

const { policy: published, routes } = createDefaultPolicy(DEFAULT_ROUTES);
const T0 = Date.UTC(2026, 0, 15, 12);

/** The published policy with a change to the critical class. */
function draftWith(critical: Partial<PolicyInput['classes']['critical']>): Policy {
  const doc = structuredClone(DEFAULT_POLICY);
  doc.classes.critical = { ...doc.classes.critical, ...critical };
  return assertPolicy(doc, routes);
}
/** Critical with its primary and first fallback swapped: claude-sonnet-4 first, then gpt-4o. */
const swapped = draftWith({
  tiers: [
    { kind: 'routes', name: 'primary', routes: ['claude-sonnet-4'] },
    { kind: 'routes', name: 'first fallback', routes: ['gpt-4o'] },
    { kind: 'routes', name: 'second fallback', routes: ['gpt-4o-mini'], flagUncertain: true },
  ],
});

const PROVIDERS: Record<string, string> = { 'claude-sonnet-4': 'anthropic', 'claude-3-5-haiku': 'anthropic' };
const attempt = (routeId: string, over: Partial<AttemptRecord> = {}): AttemptRecord =>
  attemptRecord({ routeId, model: routeId, provider: PROVIDERS[routeId] ?? 'openai', ...over });
const failure = (routeId: string, failureKind: AttemptRecord['failureKind'], over: Partial<AttemptRecord> = {}) =>
  attempt(routeId, { outcome: 'failure', failureKind, inputTokens: 0, outputTokens: 0, costUsd: 0, ...over });

function decision(id: string, over: Partial<Decision> & Pick<Decision, 'attempts'>): Decision {
  const startedAtMs = over.startedAtMs ?? T0;
  const attempts = over.attempts.map((a, index) => ({ ...a, index, startedAtMs: a.startedAtMs || startedAtMs }));
  const answered = attempts.findLast((a) => a.outcome === 'success');
  return {
    id,
    tenantId: 'acme',
    trafficClass: 'critical',
    policyVersion: 1,
    sensitive: false,
    outcome: 'success',
    originalRouteId: attempts[0]?.routeId ?? null,
    finalRouteId: answered?.routeId ?? null,
    finalTier: answered?.tier ?? null,
    degraded: false,
    degradedReasons: [],
    budgetBand: 'normal',
    startedAtMs,
    totalLatencyMs: 0,
    totalCostUsd: attempts.reduce((s, a) => s + a.costUsd, 0),
    inputTokens: 0,
    outputTokens: 0,
    ...over,
    attempts,
  };
}

/**
 * Six requests under the default policy. claude-sonnet-4 answers every call in 300 ms, so a draw from its
 * health is a 300 ms success whatever the seed; every other call a replay makes is recorded.
 */
const window: Decision[] = [
  // d1: gpt-4o answers (100 ms, 1000 in / 100 out).
  decision('d1', {
    startedAtMs: T0,
    totalLatencyMs: 100,
    attempts: [attempt('gpt-4o', { latencyMs: 100, inputTokens: 1000, outputTokens: 100, costUsd: 0.0035 })],
  }),
  // d2: gpt-4o fails twice (500s, 50 ms each, 200 ms apart), claude-sonnet-4 answers (300 ms, 1000 in / 200 out).
  decision('d2', {
    startedAtMs: T0 + 1_000,
    outcome: 'degraded',
    degraded: true,
    degradedReasons: ['fallback'],
    totalLatencyMs: 600,
    attempts: [
      failure('gpt-4o', 'server_error', { startedAtMs: T0 + 1_000, latencyMs: 50 }),
      failure('gpt-4o', 'server_error', { retry: 1, startedAtMs: T0 + 1_250, latencyMs: 50 }),
      attempt('claude-sonnet-4', {
        tier: 1,
        startedAtMs: T0 + 1_300,
        latencyMs: 300,
        inputTokens: 1000,
        outputTokens: 200,
        costUsd: 0.006,
      }),
    ],
  }),
  // d3: gpt-4o refuses the request itself (400 in 20 ms): no fallback.
  decision('d3', {
    startedAtMs: T0 + 2_000,
    outcome: 'failed',
    errorCode: 'REQUEST_REJECTED',
    totalLatencyMs: 20,
    attempts: [failure('gpt-4o', 'bad_request', { latencyMs: 20 })],
  }),
  // d4: gpt-4o's breaker is open; claude-sonnet-4 answers (300 ms, 500 in / 50 out).
  decision('d4', {
    startedAtMs: T0 + 3_000,
    outcome: 'degraded',
    degraded: true,
    degradedReasons: ['fallback'],
    totalLatencyMs: 300,
    attempts: [
      attempt('gpt-4o', { outcome: 'skipped', skipReason: 'circuit_open', latencyMs: 0, inputTokens: 0, costUsd: 0 }),
      attempt('claude-sonnet-4', { tier: 1, latencyMs: 300, inputTokens: 500, outputTokens: 50, costUsd: 0.00225 }),
    ],
  }),
  // d5 (globex): gpt-4o answers (200 ms, 2000 in / 100 out).
  decision('d5', {
    tenantId: 'globex',
    startedAtMs: T0 + 4_000,
    totalLatencyMs: 200,
    attempts: [attempt('gpt-4o', { latencyMs: 200, inputTokens: 2000, outputTokens: 100, costUsd: 0.006 })],
  }),
  // d6 (non_critical, untouched by the draft): claude-3-5-haiku answers (150 ms, 100 in / 10 out).
  decision('d6', {
    trafficClass: 'non_critical',
    startedAtMs: T0 + 5_000,
    totalLatencyMs: 150,
    attempts: [attempt('claude-3-5-haiku', { latencyMs: 150, inputTokens: 100, outputTokens: 10, costUsd: 0.00012 })],
  }),
];

const metrics = (over: Partial<ReplayMetrics>): ReplayMetrics => ({
  requests: 0,
  answered: 0,
  success: 0,
  degraded: 0,
  failed: 0,
  deferred: 0,
  fallbacks: 0,
  fallbackRate: null,
  calls: 0,
  costUsd: 0,
  p95LatencyMs: null,
  tierActivation: [],
  errors: [],
  ...over,
});

describe('replayWindow', () => {
  it('replays a small window under the published policy to the hand-computed numbers, as it happened', () => {
    const report = replayWindow({ policy: published, routes, decisions: window });
    expect(report.groups.map((g) => [g.tenantId, g.trafficClass])).toEqual([
      ['acme', 'critical'],
      ['acme', 'non_critical'],
      ['globex', 'critical'],
    ]);
    // acme critical: d1 100 ms; d2 50 + 200 (recorded pause) + 50 + 300 = 600 ms; d3 20 ms; d4 300 ms.
    expect(report.groups[0]!.metrics).toEqual(
      metrics({
        requests: 4,
        answered: 3,
        success: 1,
        degraded: 2,
        failed: 1,
        fallbacks: 2,
        fallbackRate: 0.5,
        calls: 6,
        costUsd: 0.01175, // 0.0035 + 0.006 + 0 + 0.00225
        p95LatencyMs: 600,
        tierActivation: [
          { tier: -1, requests: 1 },
          { tier: 0, requests: 1 },
          { tier: 1, requests: 2 },
        ],
        errors: [{ code: 'REQUEST_REJECTED', requests: 1 }],
      }),
    );
    expect(report.overall).toEqual(
      metrics({
        requests: 6,
        answered: 5,
        success: 3,
        degraded: 2,
        failed: 1,
        fallbacks: 2,
        fallbackRate: 2 / 6,
        calls: 8,
        costUsd: 0.01787, // + 0.006 (d5) + 0.00012 (d6)
        p95LatencyMs: 600,
        tierActivation: [
          { tier: -1, requests: 1 },
          { tier: 0, requests: 3 },
          { tier: 1, requests: 2 },
        ],
        errors: [{ code: 'REQUEST_REJECTED', requests: 1 }],
      }),
    );
    expect(report.sources).toEqual({ reusedCalls: 8, sampledCalls: 0, assumedCalls: 0, unobservedRoutes: [] });
    // Every request ends as the log says it did.
    const recorded = summarizeRecorded(window);
    expect(report.overall).toEqual(recorded.overall);
    expect(report.groups).toEqual(recorded.groups);
  });

  it('replays a draft that swaps primary and first fallback to the hand-computed numbers', () => {
    const report = replayWindow({ policy: swapped, routes, decisions: window });
    const byId = Object.fromEntries(report.decisions.map((d) => [d.decisionId, d]));
    // d1 and d5 never called claude-sonnet-4: drawn from its health (300 ms success), costed at its price.
    expect(byId.d1).toMatchObject({
      outcome: 'success',
      finalRouteId: 'claude-sonnet-4',
      finalTier: 0,
      latencyMs: 300,
    });
    expect(byId.d1!.costUsd).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6, 12);
    // d2 and d4 reuse their recorded claude-sonnet-4 answer, now on the primary tier: no fallback.
    expect(byId.d2).toMatchObject({ outcome: 'success', finalTier: 0, fallback: false, calls: 1, latencyMs: 300 });
    // d3 was refused for itself: claude-sonnet-4 refuses it too.
    expect(byId.d3).toMatchObject({ outcome: 'failed', errorCode: 'REQUEST_REJECTED', latencyMs: 300 });
    expect(report.groups[0]!.metrics).toEqual(
      metrics({
        requests: 4,
        answered: 3,
        success: 3,
        failed: 1,
        fallbacks: 0,
        fallbackRate: 0,
        calls: 4,
        costUsd: 0.01275, // 0.0045 + 0.006 + 0 + 0.00225
        p95LatencyMs: 300,
        tierActivation: [
          { tier: -1, requests: 1 },
          { tier: 0, requests: 3 },
        ],
        errors: [{ code: 'REQUEST_REJECTED', requests: 1 }],
      }),
    );
    expect(report.sources).toEqual({ reusedCalls: 3, sampledCalls: 3, assumedCalls: 0, unobservedRoutes: [] });
  });

  it('gives the same report twice from the same window', () => {
    const input = { policy: swapped, routes, decisions: generatedWindow(400) };
    const first = replayWindow(input);
    expect(first.sources.sampledCalls).toBeGreaterThan(0);
    expect(replayWindow(input)).toEqual(first);
    expect(replayWindow(structuredClone(input))).toEqual(first);
  });

  it('opens a route’s breaker after five failing replayed calls and skips the route while it cools down', () => {
    const at = (ms: number, id: string, attempts: AttemptRecord[]) => decision(id, { startedAtMs: T0 + ms, attempts });
    const sonnet = attempt('claude-sonnet-4', { tier: 1, latencyMs: 300 });
    const window = [
      // Five recorded 500s on gpt-4o within 5 s open its breaker (30 s cooldown).
      ...[0, 1, 2, 3, 4].map((i) => at(i * 1_000, `f${i}`, [failure('gpt-4o', 'server_error'), sonnet])),
      // Requests that never tried gpt-4o: during the cooldown, then after it.
      ...[5, 6, 7].map((i) => at(i * 1_000, `s${i}`, [sonnet])),
      at(40_000, 'after', [sonnet]),
      // gpt-4o answers half of its calls over the window, so a draw alone would often have answered.
      ...[0, 1, 2, 3, 4].map((i) => at(60_000 + i * 1_000, `h${i}`, [attempt('gpt-4o', { latencyMs: 100 })])),
    ];
    const report = replayWindow({ policy: draftWith({ retry: { maxRetriesPerRoute: 0 } }), routes, decisions: window });
    const byId = Object.fromEntries(report.decisions.map((d) => [d.decisionId, d]));
    for (const id of ['s5', 's6', 's7']) {
      expect(byId[id]).toMatchObject({
        outcome: 'degraded',
        finalRouteId: 'claude-sonnet-4',
        fallback: true,
        calls: 1,
      });
    }
    // After the cooldown the half-open probe goes out: the one call drawn from gpt-4o's health.
    expect(report.sources.sampledCalls).toBe(1);
    expect(byId.after!.calls).toBeGreaterThanOrEqual(1);
  });

  it('turns calls slower than a shorter draft timeout into timeouts, and falls back', () => {
    const tight = draftWith({
      tiers: [
        { kind: 'routes', routes: ['gpt-4o'], timeoutMs: 150 },
        { kind: 'routes', routes: ['claude-sonnet-4'] },
      ],
      retry: { maxRetriesPerRoute: 0 },
    });
    const d5 = replayWindow({ policy: tight, routes, decisions: window }).decisions.find((d) => d.decisionId === 'd5');
    // 150 ms timed out on gpt-4o, then a 300 ms answer drawn from claude-sonnet-4.
    expect(d5).toMatchObject({ outcome: 'degraded', finalRouteId: 'claude-sonnet-4', fallback: true, latencyMs: 450 });
  });

  it('assumes a route the window never called is healthy, and says so', () => {
    const untried = draftWith({ tiers: [{ kind: 'routes', routes: ['gpt-4.1'] }] });
    const report = replayWindow({ policy: untried, routes, decisions: window.slice(0, 1) });
    expect(report.decisions[0]).toMatchObject({ outcome: 'success', finalRouteId: 'gpt-4.1', latencyMs: 100 });
    expect(report.sources).toMatchObject({ assumedCalls: 1, unobservedRoutes: ['gpt-4.1'] });
  });

  it('projects the budget bands each tenant’s spend would cross under each policy', () => {
    const budgets = new Map([['acme', { monthlyLimitUsd: 0.1, spentBeforeUsd: 0.068, month: '2026-01' }]]);
    const crossings = (policy: Policy) =>
      replayWindow({ policy, routes, decisions: window, budgets }).bandCrossings?.map((c) => [
        c.decisionId,
        c.from,
        c.to,
      ]);
    // 0.068 + 0.0035 = 0.0715 (71.5%) at d1; then 0.0775, 0.0775, 0.07975 (< 80%).
    expect(crossings(published)).toEqual([['d1', 'normal', 'downgrade']]);
    // 0.068 + 0.0045 = 0.0725 at d1; 0.0785; 0.0785; 0.08075 (80.75%) at d4.
    expect(crossings(swapped)).toEqual([
      ['d1', 'normal', 'downgrade'],
      ['d4', 'downgrade', 'conserve'],
    ]);
    expect(replayWindow({ policy: published, routes, decisions: window }).bandCrossings).toBeUndefined();
  });
});

describe('compareReplays', () => {
  it('puts the published and draft replays side by side with the draft’s deltas and the changed decisions', () => {
    const health = observeRouteHealth(window);
    const before = replayWindow({ policy: published, routes, decisions: window, health });
    const after = replayWindow({ policy: swapped, routes, decisions: window, health });
    const comparison = compareReplays(before, after, { recorded: summarizeRecorded(window) });
    expect(comparison.overall.delta).toEqual({
      answered: 0,
      success: 2,
      degraded: -2,
      failed: 0,
      deferred: 0,
      fallbacks: -2,
      fallbackRate: -2 / 6,
      calls: -2,
      costUsd: 0.0025, // 0.02037 - 0.01787
      p95LatencyMs: -300,
      tierActivation: [
        { tier: -1, requests: 0 },
        { tier: 0, requests: 2 },
        { tier: 1, requests: -2 },
      ],
      errors: [{ code: 'REQUEST_REJECTED', requests: 0 }],
    });
    expect(comparison.overall.recorded).toEqual(before.overall);
    const untouched = comparison.groups.find((g) => g.trafficClass === 'non_critical')!;
    expect(untouched.delta).toMatchObject({ success: 0, costUsd: 0, p95LatencyMs: 0 });
    // d1 and d5 change route, d2 and d4 change tier; d3 (refused) and d6 (non_critical) do not change.
    expect(comparison.changedDecisions).toBe(4);
    expect(comparison.changes.map((c) => c.decisionId)).toEqual(['d1', 'd2', 'd4', 'd5']);
    expect(comparison.changes[1]).toMatchObject({
      published: { outcome: 'degraded', finalTier: 1 },
      draft: { outcome: 'success', finalTier: 0 },
    });
    expect(compareReplays(before, after, { maxChanges: 1 }).changes).toHaveLength(1);
  });

  it('shows no change when the draft is the published policy', () => {
    const health = observeRouteHealth(window);
    const replay = () => replayWindow({ policy: published, routes, decisions: window, health });
    const comparison = compareReplays(replay(), replay());
    expect(comparison.changedDecisions).toBe(0);
    expect(comparison.overall.delta).toMatchObject({ success: 0, failed: 0, costUsd: 0, p95LatencyMs: 0 });
  });
});

/** A window of critical and non_critical requests with seeded faults: primaries fail 30% of the time. */
function generatedWindow(n: number): StoredDecision[] {
  const random = createSeededRandom(7);
  const out: StoredDecision[] = [];
  for (let i = 0; i < n; i++) {
    const critical = random() < 0.7;
    const [primary, fallback] = critical ? ['gpt-4o', 'claude-sonnet-4'] : ['claude-3-5-haiku', 'gpt-4.1-mini'];
    const tokens = { inputTokens: 100 + Math.floor(random() * 900), outputTokens: 10 + Math.floor(random() * 200) };
    const latencyMs = 50 + Math.floor(random() * 2_000);
    const attempts =
      random() < 0.3
        ? [
            failure(primary, random() < 0.5 ? 'rate_limited' : 'auth', { latencyMs: 40 }),
            attempt(fallback, { tier: 1, latencyMs, ...tokens }),
          ]
        : [attempt(primary, { latencyMs, ...tokens })];
    out.push(
      decision(`g${i}`, {
        tenantId: random() < 0.5 ? 'acme' : 'globex',
        trafficClass: critical ? 'critical' : 'non_critical',
        startedAtMs: T0 + i * 1_000,
        attempts,
      }),
    );
  }
  return out;
}

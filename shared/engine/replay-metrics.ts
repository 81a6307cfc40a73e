import type { TrafficClass } from '../contracts/policy.js';
import type {
  ErrorCount,
  ReplayDelta,
  ReplayedDecision,
  ReplayGroupMetrics,
  ReplayMetrics,
  TierCount,
} from '../contracts/what-if.js';

/** Sums requests into metrics: outcomes, fallbacks, tier activation, errors, calls, cost and p95 latency. */
export function metricsOf(results: readonly ReplayedDecision[]): ReplayMetrics {
  const tiers = new Map<number, number>();
  const errors = new Map<string, number>();
  const latencies: number[] = [];
  const m = { success: 0, degraded: 0, failed: 0, deferred: 0, fallbacks: 0, calls: 0, costUsd: 0 };
  for (const r of results) {
    if (r.outcome === 'success') m.success++;
    else if (r.outcome === 'degraded') m.degraded++;
    else if (r.outcome === 'failed') m.failed++;
    else m.deferred++;
    if (r.fallback) m.fallbacks++;
    if (r.outcome === 'failed') errors.set(r.errorCode ?? 'UNKNOWN', (errors.get(r.errorCode ?? 'UNKNOWN') ?? 0) + 1);
    const tier = r.outcome === 'failed' ? -1 : (r.finalTier ?? -1);
    tiers.set(tier, (tiers.get(tier) ?? 0) + 1);
    m.calls += r.calls;
    m.costUsd += r.costUsd;
    latencies.push(r.latencyMs);
  }
  const requests = results.length;
  return {
    requests,
    answered: m.success + m.degraded,
    success: m.success,
    degraded: m.degraded,
    failed: m.failed,
    deferred: m.deferred,
    fallbacks: m.fallbacks,
    fallbackRate: requests ? m.fallbacks / requests : null,
    calls: m.calls,
    costUsd: roundUsd(m.costUsd),
    p95LatencyMs: percentile(latencies, 0.95),
    tierActivation: [...tiers].sort(([a], [b]) => a - b).map(([tier, n]) => ({ tier, requests: n })),
    errors: [...errors].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, n]) => ({ code, requests: n })),
  };
}

/** Metrics per (tenant, class), sorted by tenant then class, and overall. */
export function summarize(results: readonly ReplayedDecision[]): {
  overall: ReplayMetrics;
  groups: ReplayGroupMetrics[];
} {
  const byGroup = new Map<string, ReplayedDecision[]>();
  for (const r of results) {
    const key = groupKey(r.tenantId, r.trafficClass);
    const list = byGroup.get(key);
    if (list) list.push(r);
    else byGroup.set(key, [r]);
  }
  const groups = [...byGroup.values()].map((list) => ({
    tenantId: list[0]!.tenantId,
    trafficClass: list[0]!.trafficClass,
    metrics: metricsOf(list),
  }));
  groups.sort((a, b) => compareKeys(a, b));
  return { overall: metricsOf(results), groups };
}

/** The draft's metrics minus the published ones, tier by tier and code by code. */
export function deltaOf(published: ReplayMetrics, draft: ReplayMetrics): ReplayDelta {
  const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  return {
    answered: draft.answered - published.answered,
    success: draft.success - published.success,
    degraded: draft.degraded - published.degraded,
    failed: draft.failed - published.failed,
    deferred: draft.deferred - published.deferred,
    fallbacks: draft.fallbacks - published.fallbacks,
    fallbackRate: minus(draft.fallbackRate, published.fallbackRate),
    calls: draft.calls - published.calls,
    costUsd: roundUsd(draft.costUsd - published.costUsd),
    p95LatencyMs: minus(draft.p95LatencyMs, published.p95LatencyMs),
    tierActivation: diffCounts(
      published.tierActivation,
      draft.tierActivation,
      (c) => c.tier,
      (tier, requests) => ({
        tier,
        requests,
      }),
    ).sort((a, b) => a.tier - b.tier),
    errors: diffCounts(
      published.errors,
      draft.errors,
      (c) => c.code,
      (code, requests) => ({ code, requests }),
    ).sort((a, b) => (a.code < b.code ? -1 : 1)),
  };
}

/**
 * Nearest-rank percentile (0..1) of `values`: the smallest value with at least that share of values at or below it.
 * Null when empty. Sorts a copy.
 */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

export const groupKey = (tenantId: string, trafficClass: TrafficClass) => `${tenantId}\u0000${trafficClass}`;

export function compareKeys(
  a: { tenantId: string; trafficClass: string },
  b: { tenantId: string; trafficClass: string },
): number {
  if (a.tenantId !== b.tenantId) return a.tenantId < b.tenantId ? -1 : 1;
  return a.trafficClass < b.trafficClass ? -1 : a.trafficClass > b.trafficClass ? 1 : 0;
}

// Storage keeps money to nine decimals; so do reports, which keeps float dust out of sums and deltas.
const roundUsd = (usd: number) => Math.round(usd * 1e9) / 1e9;

function diffCounts<C extends TierCount | ErrorCount, K extends number | string>(
  before: readonly C[],
  after: readonly C[],
  keyOf: (c: C) => K,
  make: (key: K, requests: number) => C,
): C[] {
  const counts = new Map<K, number>();
  for (const c of before) counts.set(keyOf(c), -c.requests);
  for (const c of after) counts.set(keyOf(c), (counts.get(keyOf(c)) ?? 0) + c.requests);
  return [...counts].map(([key, n]) => make(key, n));
}

import type { CanaryThresholds } from '../contracts/canary.js';
import type { Decision } from '../contracts/decision.js';
import type { AlertMetric } from '../contracts/alert.js';
import { estimateQuantile, LATENCY_BOUNDS_MS } from '../engine/circuit-breaker.js';

/** A threshold a canary arm crossed: which one, the value read and the limit. */
export interface CanaryBreach {
  metric: Extract<AlertMetric, 'error_rate' | 'fallback_rate' | 'p95_latency_ms'>;
  value: number;
  threshold: number;
  requests: number;
}

/** Running counts of one canary arm: O(1) per decision, plus a fixed-bucket latency histogram for p95. */
export interface CanaryHealth {
  readonly requests: number;
  /** Counts one decision of the arm. */
  observe(decision: Pick<Decision, 'outcome' | 'finalTier' | 'totalLatencyMs'>): void;
  /** The first threshold crossed once `minRequests` decisions are counted (error rate, then fallback rate, then p95). */
  breach(thresholds: CanaryThresholds): CanaryBreach | undefined;
}

/**
 * Counts a canary arm's decisions for the automatic rollback: errors (outcome `failed`), fallbacks (answered by a
 * tier after the primary) and latency over the breaker's histogram bounds.
 * @example const health = createCanaryHealth(); health.observe(decision); health.breach({ maxErrorRate: 0.2, ... });
 */
export function createCanaryHealth(): CanaryHealth {
  let requests = 0;
  let errors = 0;
  let fallbacks = 0;
  const latency = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

  return {
    get requests() {
      return requests;
    },
    observe(decision) {
      requests++;
      if (decision.outcome === 'failed') errors++;
      if ((decision.finalTier ?? 0) > 0) fallbacks++;
      let slot = 0;
      while (slot < LATENCY_BOUNDS_MS.length && decision.totalLatencyMs > LATENCY_BOUNDS_MS[slot]!) slot++;
      latency[slot]!++;
    },
    breach(t) {
      if (requests === 0) return undefined;
      return breachOf(
        {
          requests,
          errorRate: errors / requests,
          fallbackRate: fallbacks / requests,
          p95LatencyMs: estimateQuantile(latency, 0.95) ?? null,
        },
        t,
      );
    },
  };
}

/** An arm's figures, counted here or read from the decision log (the canary comparison). */
export interface CanaryArmFigures {
  requests: number;
  errorRate: number | null;
  fallbackRate: number | null;
  p95LatencyMs: number | null;
}

/** The first threshold an arm's figures cross once `minRequests` are in (error rate, then fallback rate, then p95). */
export function breachOf(f: CanaryArmFigures, t: CanaryThresholds): CanaryBreach | undefined {
  const { requests } = f;
  if (requests === 0 || requests < t.minRequests) return undefined;
  if (t.maxErrorRate !== null && f.errorRate !== null && f.errorRate > t.maxErrorRate)
    return { metric: 'error_rate', value: f.errorRate, threshold: t.maxErrorRate, requests };
  if (t.maxFallbackRate !== null && f.fallbackRate !== null && f.fallbackRate > t.maxFallbackRate)
    return { metric: 'fallback_rate', value: f.fallbackRate, threshold: t.maxFallbackRate, requests };
  if (t.maxP95Ms !== null && f.p95LatencyMs !== null && f.p95LatencyMs > t.maxP95Ms)
    return { metric: 'p95_latency_ms', value: f.p95LatencyMs, threshold: t.maxP95Ms, requests };
  return undefined;
}

/** The breach in words, for the canary's ended reason and the alert message. */
export function describeBreach(b: CanaryBreach): string {
  const show = (v: number) => (b.metric === 'p95_latency_ms' ? `${Math.round(v)} ms` : `${(v * 100).toFixed(1)}%`);
  const name = { error_rate: 'error rate', fallback_rate: 'fallback rate', p95_latency_ms: 'p95 latency' }[b.metric];
  return `${name} ${show(b.value)} above ${show(b.threshold)} after ${b.requests} canary requests`;
}

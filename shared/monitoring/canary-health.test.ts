import { describe, expect, it } from 'vitest';
import type { CanaryThresholds } from '../contracts/canary.js';
import { createCanaryHealth, describeBreach } from './canary-health.js';

const ok = { outcome: 'success', finalTier: 0, totalLatencyMs: 100 } as const;
const failed = { outcome: 'failed', finalTier: null, totalLatencyMs: 100 } as const;
const thresholds = (extra: Partial<CanaryThresholds> = {}): CanaryThresholds => ({
  maxErrorRate: null,
  maxFallbackRate: null,
  maxP95Ms: null,
  minRequests: 20,
  ...extra,
});

describe('createCanaryHealth', () => {
  it('does not breach before minRequests decisions, however bad they are', () => {
    const health = createCanaryHealth();
    for (let i = 0; i < 19; i++) health.observe(failed);
    expect(health.breach(thresholds({ maxErrorRate: 0.2 }))).toBeUndefined();
    health.observe(failed);
    expect(health.breach(thresholds({ maxErrorRate: 0.2 }))).toMatchObject({ metric: 'error_rate', value: 1 });
  });

  it('breaches on an error rate above its threshold, not at it', () => {
    const health = createCanaryHealth();
    for (let i = 0; i < 16; i++) health.observe(ok);
    for (let i = 0; i < 4; i++) health.observe(failed);
    expect(health.breach(thresholds({ maxErrorRate: 0.2 }))).toBeUndefined();
    health.observe(failed);
    expect(health.breach(thresholds({ maxErrorRate: 0.2 }))?.value).toBeCloseTo(5 / 21);
  });

  it('counts answers from a later tier as fallbacks', () => {
    const health = createCanaryHealth();
    for (let i = 0; i < 20; i++) health.observe({ ...ok, finalTier: i % 2 });
    expect(health.breach(thresholds({ maxFallbackRate: 0.4 }))).toMatchObject({ metric: 'fallback_rate', value: 0.5 });
  });

  it('breaches on a p95 latency above its threshold', () => {
    const health = createCanaryHealth();
    for (let i = 0; i < 20; i++) health.observe({ ...ok, totalLatencyMs: 4_000 });
    const breach = health.breach(thresholds({ maxP95Ms: 2_000 }));
    expect(breach?.metric).toBe('p95_latency_ms');
    expect(describeBreach(breach!)).toMatch(/^p95 latency \d+ ms above 2000 ms after 20 canary requests$/);
  });

  it('ignores thresholds that are not set', () => {
    const health = createCanaryHealth();
    for (let i = 0; i < 50; i++) health.observe(failed);
    expect(health.breach(thresholds())).toBeUndefined();
  });
});

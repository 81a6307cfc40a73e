import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError, expectRejected, fallbackDecision } from './support.js';

const METRICS = /* GraphQL */ `
  query ($from: DateTime!, $to: DateTime!, $bucketMinutes: Int, $tenantId: ID, $trafficClass: TrafficClass) {
    metrics(from: $from, to: $to, bucketMinutes: $bucketMinutes, tenantId: $tenantId, trafficClass: $trafficClass) {
      bucketMinutes
      tierActivation {
        bucketStart
        tiers {
          tier
          requests
          successes
        }
      }
      fallbackActivationRate {
        requests
        fallbacks
        rate
      }
      successRateByModel {
        model
        requests
        rate
      }
      latencyByModel {
        model
        requests
        p50Ms
        p95Ms
      }
      costByTenant {
        key
        requests
        costUsd
      }
      costByModel {
        key
        costUsd
      }
      costByClass {
        key
        requests
      }
    }
  }
`;

let tb: TestBackstop;
let acmeKey: string;
const T0 = Date.UTC(2026, 0, 15, 12);
const window = { from: new Date(T0).toISOString(), to: new Date(T0 + 3 * 3_600_000).toISOString() };

beforeAll(async () => {
  tb = await startTestBackstop();
  acmeKey = await tb.key('tenant', 'acme');
  await tb.services.tenants.ensureTenant('globex');
  // acme: 3 fallbacks in the first hour; globex: 1 in the second hour.
  for (let i = 0; i < 3; i++) tb.services.decisions.record(fallbackDecision(`a${i}`, 'acme', T0 + i * 60_000));
  tb.services.decisions.record(fallbackDecision('g0', 'globex', T0 + 3_600_000 + 5_000));
  await tb.services.decisions.flush();
});
afterAll(() => tb.close());

describe('metrics', () => {
  it('reports tier activation, fallback rate, success, latency and cost over a window', async () => {
    const { metrics } = expectData(await tb.gql(METRICS, window));
    expect(metrics.bucketMinutes).toBe(60);
    expect(metrics.tierActivation).toEqual([
      { bucketStart: new Date(T0).toISOString(), tiers: [{ tier: 1, requests: 3, successes: 3 }] },
      { bucketStart: new Date(T0 + 3_600_000).toISOString(), tiers: [{ tier: 1, requests: 1, successes: 1 }] },
    ]);
    expect(metrics.fallbackActivationRate).toEqual({ requests: 4, fallbacks: 4, rate: 1 });
    expect(metrics.successRateByModel).toEqual([{ model: 'claude-sonnet-4', requests: 4, rate: 1 }]);
    expect(metrics.latencyByModel).toEqual([
      { model: 'claude-sonnet-4', requests: 4, p50Ms: expect.any(Number), p95Ms: expect.any(Number) },
    ]);
    expect(metrics.costByTenant).toEqual([
      { key: 'acme', requests: 3, costUsd: expect.closeTo(0.003, 9) },
      { key: 'globex', requests: 1, costUsd: expect.closeTo(0.001, 9) },
    ]);
    expect(metrics.costByModel).toEqual([{ key: 'claude-sonnet-4', costUsd: expect.closeTo(0.004, 9) }]);
    expect(metrics.costByClass).toEqual([{ key: 'critical', requests: 4 }]);
  });

  it('narrows by tenant and traffic class', async () => {
    const globex = expectData(await tb.gql(METRICS, { ...window, tenantId: 'globex' })).metrics;
    expect(globex.costByTenant).toEqual([{ key: 'globex', requests: 1, costUsd: expect.closeTo(0.001, 9) }]);
    const batch = expectData(await tb.gql(METRICS, { ...window, trafficClass: 'batch' })).metrics;
    expect(batch.fallbackActivationRate).toEqual({ requests: 0, fallbacks: 0, rate: null });
  });

  it('scopes tenant keys to their own tenant', async () => {
    const own = expectData(await tb.gql(METRICS, window, acmeKey)).metrics;
    expect(own.costByTenant).toEqual([{ key: 'acme', requests: 3, costUsd: expect.closeTo(0.003, 9) }]);
    expect(own.fallbackActivationRate.requests).toBe(3);
    expectError(await tb.gql(METRICS, { ...window, tenantId: 'globex' }, acmeKey), 'FORBIDDEN');
  });

  it('rejects an empty window or bad buckets with BAD_USER_INPUT naming the argument', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ from: window.to, to: window.from }, 'to'],
      [{ ...window, bucketMinutes: 0 }, 'bucketMinutes'],
      [
        { from: new Date(T0).toISOString(), to: new Date(T0 + 3 * 86_400_000).toISOString(), bucketMinutes: 1 },
        'bucketMinutes',
      ],
    ];
    for (const [vars, path] of cases) {
      const error = await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(METRICS, vars));
      expect(error.extensions!.issues).toEqual([expect.objectContaining({ path })]);
    }
  });
});

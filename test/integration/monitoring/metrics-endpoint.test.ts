import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../server/app.js';
import { LLM_LATENCY_BUCKETS_S } from '../../../server/monitoring/prometheus.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { complete, parseMetrics } from './support.js';

let tb: TestBackstop;
let metrics: ReturnType<typeof parseMetrics>;

beforeAll(async () => {
  tb = await startTestBackstop();
  // Three answers from the primary, then one fallback: gpt-4o fails (a try and a retry), claude-sonnet-4 answers.
  for (let i = 0; i < 3; i++) expect((await complete(tb, 'critical', `Question ${i}?`)).routeId).toBe('gpt-4o');
  tb.sim.setProfile('gpt-4o', { errorRates: { 500: 1 } });
  try {
    expect(await complete(tb, 'critical', 'Question 3?')).toMatchObject({ routeId: 'claude-sonnet-4', tier: 1 });
  } finally {
    tb.sim.clearProfile('gpt-4o');
  }
  const res = await tb.fetch('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  metrics = parseMetrics(await res.text());
});
afterAll(() => tb.close());

const samples = (name: string, labels: Record<string, string> = {}) => metrics.samples(name, labels);
const typeOf = (name: string) => metrics.families.get(name)?.type;
const value = (name: string, labels: Record<string, string>) => {
  const found = samples(name, labels);
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return Number(found[0]!.value);
};

describe('GET /metrics', () => {
  it('counts requests by class and outcome', () => {
    expect(typeOf('backstop_requests_total')).toBe('COUNTER');
    expect(value('backstop_requests_total', { class: 'critical', outcome: 'success' })).toBe(3);
    expect(value('backstop_requests_total', { class: 'critical', outcome: 'degraded' })).toBe(1);
  });

  it('counts attempts by route, outcome and failure kind', () => {
    expect(value('backstop_attempts_total', { route: 'gpt-4o', outcome: 'success', failure_kind: 'none' })).toBe(3);
    expect(
      value('backstop_attempts_total', { route: 'gpt-4o', outcome: 'failure', failure_kind: 'server_error' }),
    ).toBe(2);
    expect(
      value('backstop_attempts_total', { route: 'claude-sonnet-4', outcome: 'success', failure_kind: 'none' }),
    ).toBe(1);
  });

  it('counts the fallback activation with its class and tiers', () => {
    expect(samples('backstop_fallback_activations_total')).toHaveLength(1);
    expect(value('backstop_fallback_activations_total', { class: 'critical', from_tier: '0', to_tier: '1' })).toBe(1);
  });

  it('exposes latency histograms with LLM buckets and the right counts', () => {
    expect(typeOf('backstop_request_duration_seconds')).toBe('HISTOGRAM');
    expect(typeOf('backstop_attempt_duration_seconds')).toBe('HISTOGRAM');
    const requests = metrics.histogram('backstop_request_duration_seconds', { class: 'critical' });
    expect([...requests.buckets.keys()]).toEqual([...LLM_LATENCY_BUCKETS_S.map(String), '+Inf']);
    expect(requests.count).toBe(4);
    expect(requests.buckets.get('+Inf')).toBe(4);
    const cumulative = [...requests.buckets.values()];
    expect(cumulative).toEqual([...cumulative].sort((a, b) => a - b));
    // The simulator answers at once: every request lands in the first buckets, well under 120 s.
    expect(requests.buckets.get('120')).toBe(4);

    expect(metrics.histogram('backstop_attempt_duration_seconds', { route: 'gpt-4o' }).count).toBe(5);
    expect(metrics.histogram('backstop_attempt_duration_seconds', { route: 'claude-sonnet-4' }).count).toBe(1);
  });

  it('reports breaker state per route, buffer depth and spend per tenant', () => {
    expect(value('backstop_breaker_state', { route: 'gpt-4o' })).toBe(0);
    expect(samples('backstop_breaker_state')).toHaveLength(tb.services.config.routes.size);
    expect(typeOf('backstop_decision_log_buffer_depth')).toBe('GAUGE');
    expect(samples('backstop_decision_log_buffer_depth')).toHaveLength(1);
    expect(value('backstop_spend_usd_total', { tenant: 'default' })).toBeGreaterThan(0);
  });

  it('shows an open breaker as 2', async () => {
    const route = tb.services.config.routes.get('gpt-4.1')!;
    for (let i = 0; i < 5; i++)
      await tb.services.engine.breakers.record(route, { ok: false, countsForHealth: true, latencyMs: 5 });
    const after = parseMetrics(await (await tb.fetch('/metrics')).text());
    expect(after.samples('backstop_breaker_state', { route: 'gpt-4.1' })[0]!.value).toBe('2');
  });
});

describe('who may scrape /metrics', () => {
  it('needs a staff key by default', async () => {
    expect((await tb.fetch('/metrics', { key: null })).status).toBe(401);
    expect((await tb.fetch('/metrics', { key: await tb.key('tenant', 'acme') })).status).toBe(403);
    expect((await tb.fetch('/metrics', { key: await tb.key('viewer') })).status).toBe(200);
  });

  it('is open to anyone when BACKSTOP_METRICS_PUBLIC is set', async () => {
    const open = createApp(tb.services, { metricsPublic: true });
    const res = await open.fetch(new Request('http://backstop.test/metrics'));
    expect(res.status).toBe(200);
    expect(parseMetrics(await res.text()).families.has('backstop_requests_total')).toBe(true);
  });
});

import type { Context } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState } from '../../shared/contracts/decision.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import type { CircuitBreakers } from '../../shared/engine/circuit-breaker.js';
import type { Disposable, EngineEvents, FallbackEvent } from '../../shared/engine/events.js';
import type { AppEnv } from '../app.js';

/**
 * Histogram bounds for LLM latency, in seconds: from 50 ms (a cache hit or a tiny model) to 120 s (a long generation
 * on a slow provider). Roughly log-spaced so that p50 and p95 both land inside a bucket.
 */
export const LLM_LATENCY_BUCKETS_S: readonly number[] = [
  0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120,
];

/** Values of `backstop_breaker_state`: a gauge, so dashboards can draw it and alert on `== 2`. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

export interface PrometheusOptions {
  events: EngineEvents;
  routes: ReadonlyMap<string, RouteSpec>;
  breakers: Pick<CircuitBreakers, 'snapshot'>;
  /** Decisions waiting in the decision writer's buffer. */
  bufferDepth: () => number;
  /** Also export Node's process metrics (CPU, memory, event loop) with the `backstop_` prefix. Defaults to false. */
  processMetrics?: boolean;
}

/** One registry of Backstop's metrics, fed from engine events; one per app so tests never share counters. */
export interface PrometheusMetrics {
  registry: Registry;
  /** The text exposition format. */
  render(): Promise<string>;
  contentType: string;
  /** Stops listening to the engine. */
  dispose(): void;
}

// A fallback event names its decision but not the traffic class; the decision that follows does. Bounded so that a
// decision that never comes (it always does; the engine records one per request) cannot grow the map for ever.
const MAX_PENDING_DECISIONS = 10_000;

/**
 * Prometheus metrics: requests, attempts and fallbacks (counters), request and attempt latency (histograms), breaker
 * state and decision-log buffer depth (gauges read at scrape time), and spend per tenant (counter, USD).
 * @example const metrics = createPrometheusMetrics({ events: engine.events, routes, breakers, bufferDepth });
 */
export function createPrometheusMetrics(options: PrometheusOptions): PrometheusMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'backstop_' });

  const requests = new Counter({
    name: 'backstop_requests_total',
    help: 'Requests by traffic class and outcome (success, degraded, failed, queued, in_review).',
    labelNames: ['class', 'outcome'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'backstop_attempts_total',
    help: 'Provider attempts by route and outcome; failure_kind is "none" unless the attempt failed.',
    labelNames: ['route', 'outcome', 'failure_kind'] as const,
    registers,
  });
  const fallbacks = new Counter({
    name: 'backstop_fallback_activations_total',
    help: 'Moves from one tier to the next, by traffic class.',
    labelNames: ['class', 'from_tier', 'to_tier'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'backstop_request_duration_seconds',
    help: 'End-to-end request latency, in seconds, by traffic class.',
    labelNames: ['class'] as const,
    buckets: [...LLM_LATENCY_BUCKETS_S],
    registers,
  });
  const attemptDuration = new Histogram({
    name: 'backstop_attempt_duration_seconds',
    help: 'Latency of one provider call, in seconds, by route (skipped attempts are not observed).',
    labelNames: ['route'] as const,
    buckets: [...LLM_LATENCY_BUCKETS_S],
    registers,
  });
  const spend = new Counter({
    name: 'backstop_spend_usd_total',
    help: 'Provider spend, in USD, by tenant.',
    labelNames: ['tenant'] as const,
    registers,
  });
  const breakerState = new Gauge({
    name: 'backstop_breaker_state',
    help: 'Circuit breaker per route: 0 closed, 1 half-open, 2 open.',
    labelNames: ['route'] as const,
    registers,
    // Read from the breaker store at scrape time: with a shared store another process may have moved it.
    async collect() {
      for (const id of options.routes.keys()) {
        const state = (await options.breakers.snapshot(id)).state;
        this.set({ route: id }, BREAKER_STATE_VALUE[state]);
      }
    },
  });
  new Gauge({
    name: 'backstop_decision_log_buffer_depth',
    help: 'Decisions buffered in memory, not yet written to the decision log.',
    registers,
    collect() {
      this.set(options.bufferDepth());
    },
  });

  const pendingFallbacks = new Map<string, FallbackEvent[]>();
  const subscriptions: Disposable[] = [
    options.events.onAttempt(({ attempt }) => {
      const failureKind = attempt.outcome === 'failure' ? (attempt.failureKind ?? 'unknown') : 'none';
      attempts.inc({ route: attempt.routeId, outcome: attempt.outcome, failure_kind: failureKind });
      if (attempt.outcome !== 'skipped') attemptDuration.observe({ route: attempt.routeId }, attempt.latencyMs / 1000);
    }),
    options.events.onFallback((event) => {
      if (pendingFallbacks.size >= MAX_PENDING_DECISIONS) {
        pendingFallbacks.delete(pendingFallbacks.keys().next().value!);
      }
      pendingFallbacks.set(event.decisionId, [...(pendingFallbacks.get(event.decisionId) ?? []), event]);
    }),
    options.events.onBreak((event) => breakerState.set({ route: event.routeId }, BREAKER_STATE_VALUE[event.to])),
    options.events.onDecision((decision) => {
      requests.inc({ class: decision.trafficClass, outcome: decision.outcome });
      requestDuration.observe({ class: decision.trafficClass }, decision.totalLatencyMs / 1000);
      if (decision.totalCostUsd > 0) spend.inc({ tenant: decision.tenantId }, decision.totalCostUsd);
      for (const f of pendingFallbacks.get(decision.id) ?? []) {
        fallbacks.inc({ class: decision.trafficClass, from_tier: String(f.fromTier), to_tier: String(f.toTier) });
      }
      pendingFallbacks.delete(decision.id);
    }),
  ];
  for (const id of options.routes.keys()) breakerState.set({ route: id }, 0);

  return {
    registry,
    render: () => registry.metrics(),
    contentType: registry.contentType,
    dispose: () => subscriptions.forEach((s) => s.dispose()),
  };
}

/**
 * `GET /metrics`: the text exposition format for a staff key (admin or viewer, `Authorization: Bearer <key>`), or
 * for anyone when `isPublic` (env `BACKSTOP_METRICS_PUBLIC=true`, for a scraper on a private network).
 */
export function metricsHandler(metrics: PrometheusMetrics, isPublic: boolean) {
  return async (c: Context<AppEnv>) => {
    const principal = c.get('principal');
    if (!isPublic && !principal) return c.text('a staff API key is required (Authorization: Bearer <key>)\n', 401);
    if (!isPublic && principal?.role === 'tenant') return c.text('this needs an admin or viewer key\n', 403);
    return c.body(await metrics.render(), 200, { 'content-type': metrics.contentType });
  };
}

import type { AlertMetric, AlertScope } from '../contracts/alert.js';
import type { Decision, FailureKind } from '../contracts/decision.js';
import { estimateQuantile } from '../engine/circuit-breaker.js';
import type { Clock } from '../engine/ports.js';
import {
  BUCKET_WIDTH,
  CALLS,
  COST_USD,
  createBucketRing,
  errorsByKind,
  FALLBACKS,
  HEALTH_FAILURES,
  latencyCounts,
  REQUESTS,
  SUCCESSES,
  TOKENS_IN,
  TOKENS_OUT,
  type BucketRing,
} from './bucket-ring.js';
import { addDecision } from './decision-share.js';

/** The longest window kept, in milliseconds (1 h). Keys idle for longer are evicted. */
export const MAX_WINDOW_MS = 3_600_000;
/** The windows dashboards show, in milliseconds: 1 min, 5 min, 1 h. */
export const MONITOR_WINDOWS_MS = [60_000, 300_000, 3_600_000] as const;

export interface LiveAggregatesOptions {
  clock: Clock;
  /** Width of one time bucket, in milliseconds: the resolution of every window. Defaults to 10 000. */
  bucketMs?: number;
}

/** A metric over a window; `sample` is how many requests, calls or probes it rests on. */
export interface MetricReading {
  value: number | undefined;
  sample: number;
}

/** One route or traffic class over one window. Rates are fractions (0..1), latencies milliseconds. */
export interface AggregateRow {
  key: string;
  requests: number;
  /** Calls sent to providers (attempts that were not skipped); the denominator of `errorRateByKind`. */
  calls: number;
  successRate: number;
  fallbackRate: number;
  errorRateByKind: Record<FailureKind, number>;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

export interface AggregateSnapshot {
  windowMs: number;
  routes: AggregateRow[];
  classes: AggregateRow[];
}

/** Rolling in-memory counters over the last hour of decisions and synthetic probes. */
export interface LiveAggregates {
  recordDecision(decision: Decision): void;
  /** Records one synthetic probe; only the failure streak is kept (the caller logs the latency, in milliseconds). */
  recordSynthetic(routeId: string, ok: boolean, latencyMs: number): void;
  /** Consecutive failed probes of a route, 0 after a success or when never probed. */
  syntheticFailuresInARow(routeId: string): number;
  /** A metric for the traffic `scope` matches over the last `windowMs` (at most 1 h, resolved to whole buckets). */
  read(metric: AlertMetric, scope: AlertScope, windowMs: number): MetricReading;
  /** Subjects a rule fans out to: `route:<id>` per recently seen route for per-route metrics without a route, else `all`. */
  subjects(metric: AlertMetric, scope: AlertScope): string[];
  snapshot(windowMs: number): AggregateSnapshot;
  /** Keys (series and probed routes) and buckets held now, for tests and self-monitoring. */
  memory(): { keys: number; buckets: number };
}

const PER_ROUTE_METRICS: ReadonlySet<AlertMetric> = new Set(['error_rate', 'p95_latency_ms', 'synthetic_failures']);
const SCOPE_FIELDS = ['routeId', 'model', 'trafficClass', 'tenantId', 'tier'] as const;
const PREFIX = { routeId: 'route', model: 'model', trafficClass: 'class', tenantId: 'tenant', tier: 'tier' } as const;

interface Series {
  scope: AlertScope;
  ring: BucketRing;
  /** Last write (or, for a tracked multi-field scope, last read), in epoch milliseconds. */
  lastMs: number;
  composite: boolean;
}

interface Probe {
  failuresInARow: number;
  lastMs: number;
}

/** The series key of a scope: `all`, `route:<id>`, `class:<name>`, ... or `scope:[...]` for several fields. */
function seriesKey(scope: AlertScope): string {
  const fields = SCOPE_FIELDS.filter((f) => scope[f] !== undefined);
  const only = fields.length === 1 ? fields[0] : undefined;
  if (fields.length === 0) return 'all';
  if (only) return `${PREFIX[only]}:${String(scope[only])}`;
  return `scope:${JSON.stringify(SCOPE_FIELDS.map((f) => scope[f] ?? null))}`;
}

/** The scope to read for one subject of a rule: `route:<id>` and `tenant:<id>` narrow it; `all` keeps it. */
export function scopeForSubject(scope: AlertScope, subject: string): AlertScope {
  if (subject.startsWith('route:')) return { ...scope, routeId: subject.slice('route:'.length) };
  if (subject.startsWith('tenant:')) return { ...scope, tenantId: subject.slice('tenant:'.length) };
  return scope;
}

/** Single-field series every decision feeds, keyed like `seriesKey`. */
function dimensionScopes(d: Decision): Map<string, AlertScope> {
  const scopes: AlertScope[] = [{}, { trafficClass: d.trafficClass }, { tenantId: d.tenantId }];
  for (const a of d.attempts) {
    if (a.outcome === 'skipped') continue;
    scopes.push({ routeId: a.routeId }, { model: a.model }, { tier: a.tier });
  }
  // A cached answer has a final route but no call; it still counts as answered there.
  if (d.finalRouteId !== null) scopes.push({ routeId: d.finalRouteId });
  if (d.finalTier !== null) scopes.push({ tier: d.finalTier });
  return new Map(scopes.map((s) => [seriesKey(s), s]));
}

/**
 * Live aggregates per route, model, traffic class, tenant and tier (and any multi-field scope once it has been read).
 *
 * Memory is bounded by keys seen in the last hour: each key holds a ring of `ceil(3 600 000 / bucketMs)` buckets
 * (360 at 10 s), each bucket one Float64Array of `BUCKET_WIDTH` (48) numbers, about 400 bytes, allocated on first
 * use; so a key costs at most ~140 KB and usually far less. Keys with no write for an hour are evicted, as are
 * multi-field scopes no rule has read for an hour. A multi-field scope counts traffic from its first read on.
 * @example const live = createLiveAggregates({ clock }); sink.onDecision(live.recordDecision);
 */
export function createLiveAggregates({ clock, bucketMs = 10_000 }: LiveAggregatesOptions): LiveAggregates {
  const width = Math.max(1, Math.floor(bucketMs));
  const ringLength = Math.ceil(MAX_WINDOW_MS / width);
  const series = new Map<string, Series>();
  // Multi-field scopes by route id ('' for none), so a decision only visits those it might match.
  const composites = new Map<string, Map<string, Series>>();
  const probes = new Map<string, Probe>();
  let sweptAt = -1;

  const bucketIndex = (ms: number) => Math.floor(ms / width);

  // Eviction runs once per bucket boundary, so its cost (one pass over keys) is paid at most every `bucketMs`.
  const sweep = (nowMs: number) => {
    const index = bucketIndex(nowMs);
    if (index === sweptAt) return;
    sweptAt = index;
    const cutoff = nowMs - MAX_WINDOW_MS;
    for (const [key, s] of series) {
      if (s.lastMs > cutoff) continue;
      series.delete(key);
      if (s.composite) composites.get(s.scope.routeId ?? '')?.delete(key);
    }
    for (const [routeId, group] of composites) if (group.size === 0) composites.delete(routeId);
    for (const [routeId, p] of probes) if (p.lastMs <= cutoff) probes.delete(routeId);
  };

  const newSeries = (scope: AlertScope, nowMs: number, composite: boolean): Series => ({
    scope,
    ring: createBucketRing(ringLength),
    lastMs: nowMs,
    composite,
  });

  const totals = (s: Series | undefined, windowMs: number, nowMs: number): Float64Array => {
    const sum = new Float64Array(BUCKET_WIDTH);
    if (!s) return sum;
    const last = bucketIndex(nowMs);
    const count = Math.max(1, Math.ceil(Math.min(windowMs, MAX_WINDOW_MS) / width));
    s.ring.sumInto(last - count + 1, last, sum);
    return sum;
  };

  const readSynthetic = (scope: AlertScope, windowMs: number, nowMs: number): MetricReading => {
    // Probes carry only a route id: other scope fields cannot narrow them.
    const seen = [...probes.entries()].filter(
      ([routeId, p]) => p.lastMs > nowMs - windowMs && (scope.routeId === undefined || routeId === scope.routeId),
    );
    if (seen.length === 0) return { value: undefined, sample: 0 };
    return { value: Math.max(...seen.map(([, p]) => p.failuresInARow)), sample: 1 };
  };

  const readSeries = (scope: AlertScope, nowMs: number): Series | undefined => {
    const key = seriesKey(scope);
    const found = series.get(key);
    if (!key.startsWith('scope:')) return found;
    const tracked = found ?? newSeries(scope, nowMs, true);
    tracked.lastMs = nowMs;
    if (!found) {
      series.set(key, tracked);
      const group = composites.get(scope.routeId ?? '') ?? new Map<string, Series>();
      composites.set(scope.routeId ?? '', group.set(key, tracked));
    }
    return tracked;
  };

  const row = (key: string, t: Float64Array): AggregateRow => {
    const requests = t[REQUESTS] ?? 0;
    const calls = t[CALLS] ?? 0;
    const errors = errorsByKind(t);
    const hist = latencyCounts(t);
    return {
      key,
      requests,
      calls,
      successRate: requests === 0 ? 0 : (t[SUCCESSES] ?? 0) / requests,
      fallbackRate: requests === 0 ? 0 : (t[FALLBACKS] ?? 0) / requests,
      errorRateByKind: Object.fromEntries(
        Object.entries(errors).map(([kind, n]) => [kind, calls === 0 ? 0 : n / calls]),
      ) as Record<FailureKind, number>,
      p50: estimateQuantile(hist, 0.5),
      p95: estimateQuantile(hist, 0.95),
      p99: estimateQuantile(hist, 0.99),
      tokensIn: t[TOKENS_IN] ?? 0,
      tokensOut: t[TOKENS_OUT] ?? 0,
      costUsd: t[COST_USD] ?? 0,
    };
  };

  return {
    recordDecision(decision) {
      const nowMs = clock.now();
      sweep(nowMs);
      const index = bucketIndex(nowMs);
      for (const [key, scope] of dimensionScopes(decision)) {
        const found = series.get(key);
        const s = found ?? newSeries(scope, nowMs, false);
        if (!addDecision(scope, decision, () => s.ring.bucket(index))) continue;
        s.lastMs = nowMs;
        if (!found) series.set(key, s);
      }
      const routeIds = new Set(['', ...decision.attempts.map((a) => a.routeId), decision.finalRouteId ?? '']);
      for (const routeId of routeIds) {
        for (const s of composites.get(routeId)?.values() ?? []) {
          if (addDecision(s.scope, decision, () => s.ring.bucket(index))) s.lastMs = nowMs;
        }
      }
    },

    recordSynthetic(routeId, ok) {
      const nowMs = clock.now();
      sweep(nowMs);
      const failuresInARow = ok ? 0 : (probes.get(routeId)?.failuresInARow ?? 0) + 1;
      probes.set(routeId, { failuresInARow, lastMs: nowMs });
    },

    syntheticFailuresInARow: (routeId) => probes.get(routeId)?.failuresInARow ?? 0,

    read(metric, scope, windowMs) {
      const nowMs = clock.now();
      sweep(nowMs);
      if (metric === 'synthetic_failures') return readSynthetic(scope, windowMs, nowMs);
      if (metric === 'budget_used_fraction' || metric === 'breaker_open') return { value: undefined, sample: 0 };
      const t = totals(readSeries(scope, nowMs), windowMs, nowMs);
      const requests = t[REQUESTS] ?? 0;
      const rate = (n: number, of: number): MetricReading => ({ value: of === 0 ? undefined : n / of, sample: of });
      if (metric === 'error_rate') return rate(t[HEALTH_FAILURES] ?? 0, t[CALLS] ?? 0);
      if (metric === 'success_rate') return rate(t[SUCCESSES] ?? 0, requests);
      if (metric === 'fallback_rate') return rate(t[FALLBACKS] ?? 0, requests);
      const hist = latencyCounts(t);
      return { value: estimateQuantile(hist, 0.95), sample: hist.reduce((sum, n) => sum + n, 0) };
    },

    subjects(metric, scope) {
      sweep(clock.now());
      if (!PER_ROUTE_METRICS.has(metric) || scope.routeId !== undefined) return ['all'];
      const routeIds =
        metric === 'synthetic_failures'
          ? [...probes.keys()]
          : [...series.keys()].filter((k) => k.startsWith('route:')).map((k) => k.slice('route:'.length));
      return routeIds.sort().map((id) => `route:${id}`);
    },

    snapshot(windowMs) {
      const nowMs = clock.now();
      sweep(nowMs);
      const routes: AggregateRow[] = [];
      const classes: AggregateRow[] = [];
      for (const [key, s] of series) {
        const into = key.startsWith('route:') ? routes : key.startsWith('class:') ? classes : undefined;
        if (!into) continue;
        const t = totals(s, windowMs, nowMs);
        if ((t[REQUESTS] ?? 0) > 0) into.push(row(key.slice(key.indexOf(':') + 1), t));
      }
      const byKey = (a: AggregateRow, b: AggregateRow) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
      return { windowMs, routes: routes.sort(byKey), classes: classes.sort(byKey) };
    },

    memory() {
      let buckets = 0;
      for (const s of series.values()) buckets += s.ring.allocated();
      return { keys: series.size + probes.size, buckets };
    },
  };
}

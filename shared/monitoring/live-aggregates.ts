import type { AlertMetric, AlertScope } from '../contracts/alert.js';
import { FAILURE_KINDS, type Decision, type FailureKind } from '../contracts/decision.js';
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
  /** Counts one finished request in every series it belongs to, at the clock's current time. */
  recordDecision(decision: Decision): void;
  /** Records one synthetic probe; only the failure streak is kept (the caller logs the latency, in milliseconds). */
  recordSynthetic(routeId: string, ok: boolean, latencyMs: number): void;
  /** Consecutive failed probes of a route, 0 after a success or when never probed. */
  syntheticFailuresInARow(routeId: string): number;
  /**
   * A metric for the traffic `scope` matches over the last `windowMs` (at most 1 h; the current bucket plus whole
   * buckets before it). `error_rate` is health failures per call, `success_rate` and `fallback_rate` per request,
   * `p95_latency_ms` in milliseconds; budget, breaker and Redis metrics read as no data (the server has them).
   */
  read(metric: AlertMetric, scope: AlertScope, windowMs: number): MetricReading;
  /** Subjects a rule fans out to: `route:<id>` per route seen in the last hour for per-route metrics, else `all`. */
  subjects(metric: AlertMetric, scope: AlertScope): string[];
  /** Rows for every route and class with requests in the last `windowMs`, sorted by key; see `MONITOR_WINDOWS_MS`. */
  snapshot(windowMs: number): AggregateSnapshot;
  /** Keys (series and probed routes) and buckets held now, for tests and self-monitoring. */
  memory(): { keys: number; buckets: number };
}

const PER_ROUTE_METRICS: ReadonlySet<AlertMetric> = new Set(['error_rate', 'p95_latency_ms', 'synthetic_failures']);
const SCOPE_FIELDS = ['routeId', 'model', 'trafficClass', 'tenantId', 'tier'] as const;
type ScopeField = (typeof SCOPE_FIELDS)[number];

interface Series {
  scope: AlertScope;
  ring: BucketRing;
  /** Last write (or, for a tracked multi-field scope, last read), in epoch milliseconds. */
  lastMs: number;
  /** Number of the last decision fed in, so a decision that calls a route twice counts there once. */
  fedSeq: number;
}

interface Probe {
  failuresInARow: number;
  lastMs: number;
}

/** The scope to read for one subject of a rule: `route:<id>` and `tenant:<id>` narrow it; `all` keeps it. */
export function scopeForSubject(scope: AlertScope, subject: string): AlertScope {
  if (subject.startsWith('route:')) return { ...scope, routeId: subject.slice('route:'.length) };
  if (subject.startsWith('tenant:')) return { ...scope, tenantId: subject.slice('tenant:'.length) };
  return scope;
}

/**
 * Live aggregates per route, model, traffic class, tenant and tier (and any multi-field scope once it has been read).
 *
 * Memory is bounded by keys seen in the last hour: each key holds a ring of `ceil(3 600 000 / bucketMs)` buckets
 * (360 at 10 s), each bucket one Float64Array of `BUCKET_WIDTH` (48) numbers, about 400 bytes, allocated on first
 * use; so a key costs at most ~140 KB and usually far less. Keys with no write for an hour are evicted, as are
 * multi-field scopes no rule has read for an hour. A multi-field scope counts traffic from its first read on.
 * @example
 * const live = createLiveAggregates({ clock });
 * live.recordDecision(decision);
 * live.read('error_rate', { routeId: 'gpt-4o' }, 300_000); // { value: 0, sample: 1 }
 */
export function createLiveAggregates({ clock, bucketMs = 10_000 }: LiveAggregatesOptions): LiveAggregates {
  const width = Math.max(1, Math.floor(bucketMs));
  const ringLength = Math.ceil(MAX_WINDOW_MS / width);
  // Keyed by the raw id from the decision, not a built string: ids from the same objects keep their cached hash, and
  // this lookup runs several times per request.
  const dims: Record<ScopeField, Map<string | number, Series>> = {
    routeId: new Map(),
    model: new Map(),
    trafficClass: new Map(),
    tenantId: new Map(),
    tier: new Map(),
  };
  const all: Series = { scope: {}, ring: createBucketRing(ringLength), lastMs: clock.now(), fedSeq: 0 };
  // Multi-field scopes by route id ('' for none), then by JSON key: a decision visits only those of its routes.
  const composites = new Map<string, Map<string, Series>>();
  const probes = new Map<string, Probe>();
  let sweptAt = -1;
  let recorded = 0;

  const bucketIndex = (ms: number) => Math.floor(ms / width);

  // Eviction runs once per bucket boundary, so its cost (one pass over keys) is paid at most every `bucketMs`.
  const sweep = (nowMs: number) => {
    const index = bucketIndex(nowMs);
    if (index === sweptAt) return;
    sweptAt = index;
    const cutoff = nowMs - MAX_WINDOW_MS;
    for (const map of [...Object.values(dims), ...composites.values()]) {
      for (const [key, s] of map) if (s.lastMs <= cutoff) map.delete(key);
    }
    for (const [routeId, group] of composites) if (group.size === 0) composites.delete(routeId);
    for (const [routeId, p] of probes) if (p.lastMs <= cutoff) probes.delete(routeId);
  };

  const lookup = (scope: AlertScope, nowMs: number): Series | undefined => {
    const fields = SCOPE_FIELDS.filter((f) => scope[f] !== undefined);
    const only = fields.length === 1 ? fields[0] : undefined;
    if (fields.length === 0) return all;
    if (only) return dims[only].get(scope[only]!);
    const key = JSON.stringify(SCOPE_FIELDS.map((f) => scope[f] ?? null));
    const group = composites.get(scope.routeId ?? '') ?? new Map<string, Series>();
    const tracked = group.get(key) ?? { scope, ring: createBucketRing(ringLength), lastMs: nowMs, fedSeq: 0 };
    tracked.lastMs = nowMs;
    composites.set(scope.routeId ?? '', group.set(key, tracked));
    return tracked;
  };

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

  const row = (key: string, t: Float64Array): AggregateRow => {
    const requests = t[REQUESTS] ?? 0;
    const calls = t[CALLS] ?? 0;
    const hist = latencyCounts(t);
    const errorRateByKind = errorsByKind(t);
    for (const kind of FAILURE_KINDS) errorRateByKind[kind] = calls === 0 ? 0 : errorRateByKind[kind] / calls;
    return {
      key,
      requests,
      calls,
      successRate: requests === 0 ? 0 : (t[SUCCESSES] ?? 0) / requests,
      fallbackRate: requests === 0 ? 0 : (t[FALLBACKS] ?? 0) / requests,
      errorRateByKind,
      p50: estimateQuantile(hist, 0.5),
      p95: estimateQuantile(hist, 0.95),
      p99: estimateQuantile(hist, 0.99),
      tokensIn: t[TOKENS_IN] ?? 0,
      tokensOut: t[TOKENS_OUT] ?? 0,
      costUsd: t[COST_USD] ?? 0,
    };
  };

  const rows = (map: Map<string | number, Series>, windowMs: number, nowMs: number): AggregateRow[] =>
    [...map]
      .map(([key, s]) => row(String(key), totals(s, windowMs, nowMs)))
      .filter((r) => r.requests > 0)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  return {
    recordDecision(decision) {
      const nowMs = clock.now();
      sweep(nowMs);
      const index = bucketIndex(nowMs);
      const seq = ++recorded;
      const feed = (s: Series) => {
        if (s.fedSeq === seq) return false;
        s.fedSeq = seq;
        const added = addDecision(s.scope, decision, () => s.ring.bucket(index));
        if (added) s.lastMs = nowMs;
        return added;
      };
      const feedDim = (field: ScopeField, value: string | number) => {
        const found = dims[field].get(value);
        if (found) return void feed(found);
        const created = { scope: { [field]: value }, ring: createBucketRing(ringLength), lastMs: nowMs, fedSeq: 0 };
        if (feed(created)) dims[field].set(value, created);
      };
      feed(all);
      feedDim('trafficClass', decision.trafficClass);
      feedDim('tenantId', decision.tenantId);
      for (const a of decision.attempts) {
        if (a.outcome === 'skipped') continue;
        feedDim('routeId', a.routeId);
        feedDim('model', a.model);
        feedDim('tier', a.tier);
      }
      // A cached answer has a final route but no call; it still counts as answered there.
      if (decision.finalRouteId !== null) feedDim('routeId', decision.finalRouteId);
      if (decision.finalTier !== null) feedDim('tier', decision.finalTier);
      if (composites.size === 0) return;
      for (const s of composites.get('')?.values() ?? []) feed(s);
      for (const a of decision.attempts) for (const s of composites.get(a.routeId)?.values() ?? []) feed(s);
      for (const s of composites.get(decision.finalRouteId ?? '')?.values() ?? []) feed(s);
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
      if (metric === 'budget_used_fraction' || metric === 'breaker_open' || metric === 'redis_unreachable')
        return { value: undefined, sample: 0 };
      const t = totals(lookup(scope, nowMs), windowMs, nowMs);
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
      const routeIds = metric === 'synthetic_failures' ? [...probes.keys()] : [...dims.routeId.keys()].map(String);
      return routeIds.sort().map((id) => `route:${id}`);
    },

    snapshot(windowMs) {
      const nowMs = clock.now();
      sweep(nowMs);
      return {
        windowMs,
        routes: rows(dims.routeId, windowMs, nowMs),
        classes: rows(dims.trafficClass, windowMs, nowMs),
      };
    },

    memory() {
      const maps = [...Object.values(dims), ...composites.values()];
      const series = [all, ...maps.flatMap((m) => [...m.values()])];
      return {
        keys: series.length + probes.size,
        buckets: series.reduce((sum, s) => sum + s.ring.allocated(), 0),
      };
    },
  };
}

import type { AlertMetric } from '../../shared/contracts/alert.js';
import { tierLabel } from '../lib/format.js';

/** Metrics as people say them. */
export const METRIC_LABELS: Record<AlertMetric, string> = {
  error_rate: 'Error rate',
  success_rate: 'Success rate',
  fallback_rate: 'Fallback rate',
  p95_latency_ms: 'p95 latency',
  budget_used_fraction: 'Budget used',
  breaker_open: 'Breaker open',
  synthetic_failures: 'Synthetic failures in a row',
  redis_unreachable: 'Redis unreachable',
};

/** The unit a metric's values (and thresholds) are in: rates are fractions 0 to 1, latency milliseconds. */
export type MetricUnit = 'fraction' | 'ms' | 'count';

export function metricUnit(metric: AlertMetric): MetricUnit {
  if (metric === 'p95_latency_ms') return 'ms';
  if (metric === 'breaker_open' || metric === 'synthetic_failures' || metric === 'redis_unreachable') return 'count';
  return 'fraction';
}

/** A value of a metric in its unit: 0.025 -> "2.5%" for rates, 250 -> "250 ms" for latency. */
export function formatMetricValue(metric: string, value: number): string {
  const unit = metricUnit(metric as AlertMetric);
  // Up to two decimals, trailing zeros dropped: thresholds like 0.02 read "2%", as the server's messages say.
  if (unit === 'fraction') return `${Number((value * 100).toFixed(2))}%`;
  if (unit === 'ms') return `${Math.round(value).toLocaleString('en-US')} ms`;
  return String(Number(value.toFixed(2)));
}

/** A rule's condition, e.g. "> 2%". */
export function formatCondition(comparator: 'gt' | 'lt', metric: string, threshold: number): string {
  return `${comparator === 'gt' ? '>' : '<'} ${formatMetricValue(metric, threshold)}`;
}

/** The windows a rule may read over, in milliseconds (AlertRuleSchema). */
export const WINDOWS = [
  { ms: 60_000, label: '1 min' },
  { ms: 300_000, label: '5 min' },
  { ms: 3_600_000, label: '1 h' },
] as const;

/** A duration in the largest whole unit: 300000 -> "5 min", 90000 -> "90 s", 0 -> "none". */
export function formatDuration(ms: number): string {
  if (ms === 0) return 'none';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

export interface RuleScopeView {
  tenantId: string | null;
  scope: {
    routeId: string | null;
    model: string | null;
    trafficClass: string | null;
    tenantId: string | null;
    tier: number | null;
  };
}

/** Where a rule applies, e.g. "global · tier primary" or "tenant Acme · route gpt-4o". */
export function scopeSummary(rule: RuleScopeView, tenantNames: ReadonlyMap<string, string>): string {
  const tenant = (id: string) => `tenant ${tenantNames.get(id) ?? id}`;
  const s = rule.scope;
  const parts = [
    rule.tenantId ? tenant(rule.tenantId) : 'global',
    s.tenantId && s.tenantId !== rule.tenantId ? tenant(s.tenantId) : undefined,
    s.routeId ? `route ${s.routeId}` : undefined,
    s.model ? `model ${s.model}` : undefined,
    s.trafficClass ? `class ${s.trafficClass}` : undefined,
    s.tier !== null ? `tier ${tierLabel(s.tier)}` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join(' · ');
}

/** What the feed needs of an event to merge, order and filter it. */
export interface FeedEvent {
  id: string;
  state: string;
  severity: string;
  at: string;
}

/**
 * The queried events and those pushed live since, newest first, each transition (id + state) once. The queried copy
 * wins: it is refetched after changes, so it knows about acknowledgements a pushed copy never carries.
 */
export function mergeEvents<E extends FeedEvent>(live: readonly E[], queried: readonly E[]): E[] {
  const byKey = new Map<string, E>();
  for (const e of [...queried, ...live]) {
    const key = `${e.id}:${e.state}`;
    if (!byKey.has(key)) byKey.set(key, e);
  }
  // Stable sort: events of the same instant keep the order they came in.
  return [...byKey.values()].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

export interface EventFilter {
  severity: string;
  state: string;
}

/** Events matching the filter; an empty field means any. */
export function filterEvents<E extends FeedEvent>(events: readonly E[], filter: EventFilter): E[] {
  return events.filter(
    (e) => (!filter.severity || e.severity === filter.severity) && (!filter.state || e.state === filter.state),
  );
}

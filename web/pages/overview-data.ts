import { TRAFFIC_CLASSES, type TrafficClass } from '../../shared/contracts/policy.js';
import type { Series } from '../components/charts/chart.js';
import { tierLabel } from '../lib/format.js';

// Data shaping for the Overview page: pure functions of the server's answers and the live feed, no React.

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** liveMetrics keeps at most one hour of in-memory aggregates. */
const LIVE_WINDOW_MAX_MS = HOUR_MS;
/** The server refuses windows over 2 000 buckets; zero-filling stops there too. */
const MAX_BUCKETS = 2_000;

/** The time-range picker's choices; bucket widths keep every chart between 15 and 300 points. */
export const TIME_RANGES = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * MINUTE_MS, bucketMinutes: 1 },
  { id: '1h', label: 'Last hour', ms: HOUR_MS, bucketMinutes: 1 },
  { id: '6h', label: 'Last 6 hours', ms: 6 * HOUR_MS, bucketMinutes: 5 },
  { id: '24h', label: 'Last 24 hours', ms: 24 * HOUR_MS, bucketMinutes: 15 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 24 * HOUR_MS, bucketMinutes: 60 },
] as const;

export type TimeRangeId = (typeof TIME_RANGES)[number]['id'];

export function isTimeRangeId(value: string): value is TimeRangeId {
  return TIME_RANGES.some((r) => r.id === value);
}

export function isTrafficClass(value: string): value is TrafficClass {
  return (TRAFFIC_CLASSES as readonly string[]).includes(value);
}

export { TRAFFIC_CLASSES };

/** The variables of one Overview window: `metrics(from, to, bucketMinutes)` and `liveMetrics(windowMs)`. */
export interface OverviewWindow {
  from: string;
  to: string;
  bucketMinutes: number;
  /** liveMetrics window, in milliseconds: the range, capped at one hour. */
  windowMs: number;
}

/**
 * The window of a range ending at `nowMs`. `from` is rounded down to a bucket boundary (buckets are aligned to the
 * epoch on the server), so the first bucket is whole rather than a sliver.
 */
export function windowFor(range: TimeRangeId, nowMs: number): OverviewWindow {
  const { ms, bucketMinutes } = TIME_RANGES.find((r) => r.id === range)!;
  const bucketMs = bucketMinutes * MINUTE_MS;
  const from = Math.floor((nowMs - ms) / bucketMs) * bucketMs;
  return {
    from: new Date(from).toISOString(),
    to: new Date(nowMs).toISOString(),
    bucketMinutes,
    windowMs: Math.min(ms, LIVE_WINDOW_MAX_MS),
  };
}

export type ChartRow = Record<string, number> & { t: number };

export interface ChartData {
  rows: ChartRow[];
  series: Series[];
}

interface TierBucketInput {
  bucketStart: string;
  tiers: readonly { tier: number; requests: number }[];
}

/** Every chart shows these tiers, even at zero, so colours and the legend stay put between windows. */
const BASE_TIERS = [0, 1, 2, -1];

/** Series key of a tier: `tier0`, `tier1`, ... and `none` for requests that reached no tier. */
export function tierKey(tier: number): string {
  return tier < 0 ? 'none' : `tier${tier}`;
}

/**
 * One chart row per bucket of the window (missing buckets and missing tiers filled with zeros), one series per tier:
 * primary, fallback 1, fallback 2, any deeper tier seen, then none.
 */
export function tierActivationRows(
  buckets: readonly TierBucketInput[],
  window: { from: string; to: string; bucketMinutes: number },
): ChartData {
  const seen = new Set(BASE_TIERS);
  for (const b of buckets) for (const c of b.tiers) seen.add(c.tier < 0 ? -1 : c.tier);
  const tiers = [...seen].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));
  const zero = () => Object.fromEntries(tiers.map((tier) => [tierKey(tier), 0])) as Record<string, number>;

  const byStart = new Map<number, ChartRow>();
  const bucketMs = window.bucketMinutes * MINUTE_MS;
  const end = Date.parse(window.to);
  let t = Math.floor(Date.parse(window.from) / bucketMs) * bucketMs;
  for (let n = 0; t < end && n < MAX_BUCKETS; t += bucketMs, n++) byStart.set(t, { ...zero(), t });
  for (const b of buckets) {
    const start = Date.parse(b.bucketStart);
    const row = byStart.get(start) ?? { ...zero(), t: start };
    for (const c of b.tiers) row[tierKey(c.tier)] = (row[tierKey(c.tier)] ?? 0) + c.requests;
    byStart.set(start, row);
  }
  return {
    rows: [...byStart.values()].sort((a, b) => a.t - b.t),
    series: tiers.map((tier) => ({ key: tierKey(tier), label: tierLabel(tier) })),
  };
}

/** Answered share of all requests in the buckets, 0 to 1; null without requests. */
export function successRate(buckets: readonly { tiers: readonly { requests: number; successes: number }[] }[]) {
  let requests = 0;
  let successes = 0;
  for (const b of buckets)
    for (const c of b.tiers) {
      requests += c.requests;
      successes += c.successes;
    }
  return requests === 0 ? null : successes / requests;
}

/** Sum of a cost breakdown, in USD. */
export function totalCost(shares: readonly { costUsd: number }[]): number {
  return shares.reduce((sum, s) => sum + s.costUsd, 0);
}

/** Cost shares as bar-chart rows, named through `nameOf` (e.g. tenant id to tenant name). */
export function costRows(
  shares: readonly { key: string; costUsd: number }[],
  nameOf: (key: string) => string = (k) => k,
) {
  return shares.map((s) => ({ name: nameOf(s.key), costUsd: s.costUsd }));
}

/** Latency rows for models with a p95 (a model without one has no latency samples in the window). */
export function latencyRows(models: readonly { model: string; p50Ms: number | null; p95Ms: number | null }[]) {
  return models.flatMap((m) => (m.p95Ms === null ? [] : [{ name: m.model, p95: m.p95Ms, p50: m.p50Ms ?? 0 }]));
}

/** Success-rate rows in percent (0 to 100). */
export function successRateRows(models: readonly { model: string; rate: number }[]) {
  return models.map((m) => ({ name: m.model, successPercent: m.rate * 100 }));
}

/** The parts of a decision event the live cost chart needs. */
export interface LiveCostEvent {
  startedAt: string;
  finalRouteId: string | null;
  totalCostUsd: number;
}

/** Live cost per minute (epoch ms of the minute's start) per route id, oldest first. */
export type LiveCost = readonly { t: number; byRoute: Readonly<Record<string, number>> }[];

/** Minutes of live cost kept: an hour-long open tab should not grow without bound. */
export const LIVE_COST_MINUTES = 60;

/** Files a decision's cost under the minute it started and the route that answered (`''` for none). */
export function addLiveCost(cost: LiveCost, event: LiveCostEvent, keepMinutes = LIVE_COST_MINUTES): LiveCost {
  const t = Math.floor(Date.parse(event.startedAt) / MINUTE_MS) * MINUTE_MS;
  const route = event.finalRouteId ?? '';
  const existing = cost.find((m) => m.t === t);
  const byRoute = { ...existing?.byRoute, [route]: (existing?.byRoute[route] ?? 0) + event.totalCostUsd };
  const next = [...cost.filter((m) => m.t !== t), { t, byRoute }].sort((a, b) => a.t - b.t);
  const newest = next.at(-1)!.t;
  return next.filter((m) => m.t > newest - keepMinutes * MINUTE_MS);
}

/**
 * Line-chart rows of the live cost, one series per model (`modelOf` maps a route id to its model; routes of one model
 * add up), every minute from the first to the last present, missing minutes and models at zero.
 */
export function liveCostRows(cost: LiveCost, modelOf: (routeId: string) => string): ChartData {
  const models: string[] = [];
  for (const m of cost)
    for (const route of Object.keys(m.byRoute)) {
      const model = modelOf(route);
      if (!models.includes(model)) models.push(model);
    }
  models.sort();
  // Model names hold dots ("gpt-4.1") that recharts would read as paths, so series keys are positional.
  const keyOf = (model: string) => `m${models.indexOf(model)}`;
  const rows: ChartRow[] = [];
  const first = cost[0]?.t;
  const last = cost.at(-1)?.t;
  if (first === undefined || last === undefined) return { rows, series: [] };
  for (let t = first; t <= last; t += MINUTE_MS) {
    const row: ChartRow = { t, ...Object.fromEntries(models.map((m) => [keyOf(m), 0])) };
    for (const [route, usd] of Object.entries(cost.find((m) => m.t === t)?.byRoute ?? {}))
      row[keyOf(modelOf(route))] = (row[keyOf(modelOf(route))] ?? 0) + usd;
    rows.push(row);
  }
  return { rows, series: models.map((model) => ({ key: keyOf(model), label: model })) };
}

/** The live feed as the page keeps it: the newest decisions and the cost they add up to, for one filter. */
export interface Feed<E> {
  /** The filter (tenant and class) the feed was collected under; a new filter starts a new feed. */
  key: string;
  /** Newest first. */
  recent: E[];
  cost: LiveCost;
}

/** Decisions kept in the recent list. */
export const RECENT_DECISIONS = 10;

export function emptyFeed<E>(key: string): Feed<E> {
  return { key, recent: [], cost: [] };
}

/** Adds one event to the feed of `key`, starting afresh when the feed was collected under another filter. */
export function addToFeed<E extends LiveCostEvent>(feed: Feed<E> | undefined, key: string, event: E): Feed<E> {
  const base = feed?.key === key ? feed : emptyFeed<E>(key);
  return {
    key,
    recent: [event, ...base.recent].slice(0, RECENT_DECISIONS),
    cost: addLiveCost(base.cost, event),
  };
}

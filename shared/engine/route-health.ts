import type { FailureKind } from '../contracts/decision.js';
import type { StoredDecision } from '../contracts/what-if.js';
import type { Random } from './ports.js';

/**
 * Skips that speak to a route's state at that moment (its breaker, its rate limit, an operator's switch), not to the
 * request's plan.
 */
export type HealthSkip = 'circuit_open' | 'rate_limited' | 'disabled';

/** Whether a recorded skip reason is one of `HealthSkip`. */
export const isHealthSkip = (reason: unknown): reason is HealthSkip =>
  reason === 'circuit_open' || reason === 'rate_limited' || reason === 'disabled';

/** How one route behaved over a window of decisions. */
export interface RouteHealth {
  calls: number;
  successes: number;
  /** Failed calls by kind, sorted by kind, so that draws do not depend on the order of the window. */
  failures: [FailureKind, number][];
  /** Visits skipped for the route's health, by reason, sorted by reason. */
  skips: [HealthSkip, number][];
  /** Sorted call latencies in milliseconds, by outcome: `success` or the failure kind. */
  latencies: ReadonlyMap<string, readonly number[]>;
  /** Median latency of the successful calls; undefined without one. */
  p50LatencyMs: number | undefined;
  /** Mean output tokens of the successful calls, rounded; 0 without one. */
  meanOutputTokens: number;
}

/** The routes' observed health over a window, which a what-if replay draws from for calls the log does not hold. */
export interface RouteHealthModel {
  routes: ReadonlyMap<string, RouteHealth>;
  /** Median latency of every successful call of the window, in milliseconds (0 without one). */
  medianLatencyMs: number;
  /** Mean output tokens of every successful call of the window, rounded (0 without one). */
  meanOutputTokens: number;
}

/** One visit to a route drawn from its health: a skip, or a call with its outcome and latency. */
export type HealthDraw =
  | { kind: 'skip'; skipReason: HealthSkip }
  | { kind: 'call'; ok: true; latencyMs: number; outputTokens: number; assumed: boolean }
  | { kind: 'call'; ok: false; failureKind: FailureKind; latencyMs: number; assumed: false };

interface Tally {
  calls: number;
  successes: number;
  outputTokens: number;
  failures: Map<FailureKind, number>;
  skips: Map<HealthSkip, number>;
  latencies: Map<string, number[]>;
}

/**
 * Tallies every call and health skip of the window per route: success share, failure kinds, skip share and the
 * latency distribution of each outcome. Skips for the plan's own reasons (sensitivity, context window, provider
 * limit, budget downgrade) say nothing about the route and are left out.
 */
export function observeRouteHealth(decisions: readonly StoredDecision[]): RouteHealthModel {
  const tallies = new Map<string, Tally>();
  const allSuccess: number[] = [];
  let allOutput = 0;
  for (const d of decisions) {
    for (const a of d.attempts) {
      if (a.outcome === 'skipped' && !isHealthSkip(a.skipReason)) continue;
      let t = tallies.get(a.routeId);
      if (!t) {
        t = { calls: 0, successes: 0, outputTokens: 0, failures: new Map(), skips: new Map(), latencies: new Map() };
        tallies.set(a.routeId, t);
      }
      if (a.outcome === 'skipped') {
        const reason = a.skipReason as HealthSkip;
        t.skips.set(reason, (t.skips.get(reason) ?? 0) + 1);
        continue;
      }
      t.calls++;
      const kind = a.outcome === 'success' ? 'success' : (a.failureKind ?? 'unknown');
      if (a.outcome === 'success') {
        t.successes++;
        t.outputTokens += a.outputTokens;
        allSuccess.push(a.latencyMs);
        allOutput += a.outputTokens;
      } else {
        t.failures.set(kind as FailureKind, (t.failures.get(kind as FailureKind) ?? 0) + 1);
      }
      const list = t.latencies.get(kind);
      if (list) list.push(a.latencyMs);
      else t.latencies.set(kind, [a.latencyMs]);
    }
  }
  const routes = new Map<string, RouteHealth>();
  for (const [routeId, t] of [...tallies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const list of t.latencies.values()) list.sort((x, y) => x - y);
    const success = t.latencies.get('success');
    routes.set(routeId, {
      calls: t.calls,
      successes: t.successes,
      failures: sortedEntries(t.failures),
      skips: sortedEntries(t.skips),
      latencies: t.latencies,
      p50LatencyMs: success ? median(success) : undefined,
      meanOutputTokens: t.successes ? Math.round(t.outputTokens / t.successes) : 0,
    });
  }
  allSuccess.sort((x, y) => x - y);
  return {
    routes,
    medianLatencyMs: median(allSuccess) ?? 0,
    meanOutputTokens: allSuccess.length ? Math.round(allOutput / allSuccess.length) : 0,
  };
}

/**
 * Draws one visit to `routeId` from the model with `random` (seed it by decision and route for a deterministic
 * replay): a rate-limit skip with the route's observed share, else a call that succeeds with its observed success
 * share, fails with a kind in its observed proportions, and takes a latency drawn from that outcome's observed
 * latencies. Breaker skips are left to the caller's breakers and switched-off routes are taken as on, except for a
 * route that was only ever skipped, which stays skipped. A route the window never visited is assumed healthy: success at the window's median latency.
 */
export function drawVisit(model: RouteHealthModel, routeId: string, random: Random): HealthDraw {
  const h = model.routes.get(routeId);
  if (!h) {
    return {
      kind: 'call',
      ok: true,
      latencyMs: model.medianLatencyMs,
      outputTokens: model.meanOutputTokens,
      assumed: true,
    };
  }
  if (h.calls === 0) return { kind: 'skip', skipReason: pick(h.skips, random()) };
  const limited = h.skips.find(([reason]) => reason === 'rate_limited')?.[1] ?? 0;
  if (limited > 0 && random() * (h.calls + limited) < limited) return { kind: 'skip', skipReason: 'rate_limited' };
  const latencyOf = (kind: string) => {
    // A kind seen only as a skip, or a failure kind without latencies, falls back to the other calls' latencies.
    const list = h.latencies.get(kind) ?? h.latencies.get('success') ?? [...h.latencies.values()][0] ?? [];
    return list.length ? list[Math.min(list.length - 1, Math.floor(random() * list.length))]! : model.medianLatencyMs;
  };
  if (random() * h.calls < h.successes) {
    return {
      kind: 'call',
      ok: true,
      latencyMs: latencyOf('success'),
      outputTokens: h.meanOutputTokens,
      assumed: false,
    };
  }
  const failureKind = pick(h.failures, random());
  return { kind: 'call', ok: false, failureKind, latencyMs: latencyOf(failureKind), assumed: false };
}

/** The entry whose share of the counts covers `u` (0..1). */
function pick<K>(entries: readonly [K, number][], u: number): K {
  const total = entries.reduce((n, [, c]) => n + c, 0);
  let target = u * total;
  for (const [key, count] of entries) {
    if (target < count) return key;
    target -= count;
  }
  return entries[entries.length - 1]![0];
}

function sortedEntries<K extends string>(map: ReadonlyMap<K, number>): [K, number][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function median(sorted: readonly number[]): number | undefined {
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : undefined;
}

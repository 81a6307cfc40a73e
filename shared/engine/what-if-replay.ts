import { BUDGET_BANDS, type BudgetBand } from '../contracts/budget.js';
import { TRAFFIC_CLASSES, type Policy } from '../contracts/policy.js';
import type { RouteSpec } from '../contracts/route.js';
import type {
  BandCrossing,
  ReplayChange,
  ReplayComparison,
  ReplayedDecision,
  ReplayMetrics,
  ReplayReport,
  ReplaySideBySide,
  StoredDecision,
} from '../contracts/what-if.js';
import { budgetBand } from './budget-guard.js';
import type { BreakerOptions } from './circuit-breaker.js';
import { createReplayBreakers } from './replay-breakers.js';
import { replayDecision } from './replay-decision.js';
import { compareKeys, deltaOf, groupKey, summarize } from './replay-metrics.js';
import { observeRouteHealth, type RouteHealthModel } from './route-health.js';

/** A tenant's monthly budget, to project which bands its spend would cross. Amounts in USD. */
export interface TenantBudget {
  monthlyLimitUsd: number;
  /** Spent in `month` before the window opened. */
  spentBeforeUsd: number;
  /** The UTC month `spentBeforeUsd` belongs to, as `YYYY-MM`; later months of the window start from zero. */
  month: string;
}

export interface ReplayWindowInput {
  /** The policy to replay under, or the one of each tenant (a tenant's own published policy, else the global one). */
  policy: Policy | ((tenantId: string) => Policy);
  routes: ReadonlyMap<string, RouteSpec>;
  /** The window's decisions with their attempts, in the order they started. */
  decisions: readonly StoredDecision[];
  /** The routes' observed health; defaults to `observeRouteHealth(decisions)`. Pass one model to compare policies. */
  health?: RouteHealthModel;
  /** Per tenant, to report band crossings by projected spend; without it `bandCrossings` is left out. */
  budgets?: ReadonlyMap<string, TenantBudget>;
  /** Per-tier timeouts by route-tier position, in milliseconds, as the engine was given. Defaults to the engine's. */
  tierTimeoutsMs?: readonly number[];
  /** The breaker settings the engine ran with. Defaults to the engine's. */
  breakerOptions?: BreakerOptions;
}

/**
 * What-if replay: runs a window of stored decisions again under a policy, with no provider called, and reports per
 * (tenant, class) and overall what they would have come to: outcomes, the tier that answered, fallback rate, failed
 * and degraded requests, upstream calls, cost and p95 latency. Deterministic: the same input gives the same report.
 *
 * Each decision is re-planned with the engine's own `planRequest` (same class, tenant, feature, sensitivity and
 * recorded budget band), then walked like `runRouteTier` does: route order (`orderRoutes`), the failure table
 * (`ruleFor`), retry caps, backoff (`backoffDelay`), per-tier timeouts, the deadline, hard stops, sensitive quality
 * and degrade modes. The n-th call to a route reuses the n-th call the request really made to it (outcome, latency,
 * tokens, and the recorded pause before a retry), and a recorded breaker, rate-limit or switched-off skip stays a
 * skip. Any other call first asks the replay's own breaker for the route (the engine's `applyCheck` / `applyRecord`,
 * fed by every replayed call in window order), then is drawn from the route's health as observed in the window
 * (success share, failure kinds, latency distribution, rate-limit skips) with a random seeded by decision id and
 * route id. A request refused for itself (bad_request, content_policy) is refused by every route it did not reach.
 * Cost is `costUsd` of the route's price and the recorded (or drawn) token counts.
 *
 * Simplifications, each erring toward the recorded reality:
 * - Only what the log keeps is replayed: the recorded class (after rules), feature, sensitivity and a prompt of the
 *   recorded size. Tags, metadata, a route pinned by the caller and the response schema are not logged, so rules
 *   matching on them do not apply and pinned requests are re-planned by class.
 * - Budget bands are held as recorded for planning (a draft cannot move a request into another band). With `budgets`,
 *   `bandCrossings` projects month-to-date spend (spend before the window plus the replayed costs, in order) against
 *   the policy's `budgetBands`; reservations, prepaid balances and daily caps are not modelled.
 * - Breakers start the window closed and see only the replayed requests, one after another in start order (not
 *   synthetic checks, other instances or overlapping requests); a recorded call always goes out. `lowest_latency`
 *   orders by the window's median latency per route, not the live 60 s window.
 * - A longer timeout never rescues a recorded timeout (how long the call would have taken is unknown); a shorter one
 *   turns a slower recorded call into a timeout. Retry-After is not logged: unrecorded retries wait a backoff.
 * - A cache hit is assumed only for requests the cache really answered; the confidence-floor review, escalation,
 *   the retry budget and in-flight overheads (reservations, database) are not modelled.
 * - A route never called in the window is assumed healthy (success at the window's median latency); such calls are
 *   counted in `sources.assumedCalls`. A route switched off for a request stays off for it; for requests that did
 *   not reach it, it is taken as on (unless it was never anything but skipped).
 * - Each decision is one request: a deferred request and the job run that answered it later are replayed apart.
 */
export function replayWindow(input: ReplayWindowInput): ReplayReport {
  const health = input.health ?? observeRouteHealth(input.decisions);
  const policyOf = typeof input.policy === 'function' ? input.policy : () => input.policy as Policy;
  const ctx = {
    routes: input.routes,
    health,
    breakers: createReplayBreakers(input.breakerOptions),
    ...(input.tierTimeoutsMs && { tierTimeoutsMs: input.tierTimeoutsMs }),
  };
  const decisions: ReplayedDecision[] = [];
  const unobserved = new Set<string>();
  const sources = { reusedCalls: 0, sampledCalls: 0, assumedCalls: 0 };
  for (const d of input.decisions) {
    const replay = replayDecision(d, policyOf(d.tenantId), ctx);
    decisions.push(replay.result);
    sources.reusedCalls += replay.reused;
    sources.sampledCalls += replay.sampled;
    sources.assumedCalls += replay.assumed.length;
    replay.assumed.forEach((id) => unobserved.add(id));
  }
  return {
    ...summarize(decisions),
    decisions,
    ...(input.budgets && { bandCrossings: projectBandCrossings(input.decisions, decisions, input.budgets, policyOf) }),
    sources: { ...sources, unobservedRoutes: [...unobserved].sort() },
  };
}

/**
 * Whether a stored decision is a request the engine routed, which a replay can run again: not the follow-up that
 * records a reviewer's answer (no attempts, `human_review`), nor a row of a class this build does not know.
 */
export function isRoutedRequest(d: StoredDecision): boolean {
  if (!(TRAFFIC_CLASSES as readonly string[]).includes(d.trafficClass)) return false;
  return !(d.attempts.length === 0 && d.outcome === 'success' && d.degradedReasons.includes('human_review'));
}

/** The window as it really went, in the replay's terms; `bandCrossings` are the recorded band changes. */
export function summarizeRecorded(window: readonly StoredDecision[]): ReplayReport {
  const decisions = window.map((d): ReplayedDecision => ({
    decisionId: d.id,
    tenantId: d.tenantId,
    trafficClass: d.trafficClass,
    outcome: d.outcome,
    finalRouteId: d.finalRouteId,
    finalTier: d.finalTier,
    errorCode: d.errorCode ?? null,
    fallback:
      (d.finalRouteId !== null && d.finalRouteId !== d.originalRouteId) || d.degradedReasons.includes('fallback'),
    calls: d.attempts.filter((a) => a.outcome !== 'skipped').length,
    costUsd: d.totalCostUsd,
    latencyMs: d.totalLatencyMs,
  }));
  const bandCrossings: BandCrossing[] = [];
  const last = new Map<string, BudgetBand>();
  for (const d of window) {
    const before = last.get(d.tenantId);
    if (before !== undefined && rank(d.budgetBand) > rank(before))
      bandCrossings.push({
        tenantId: d.tenantId,
        from: before,
        to: d.budgetBand,
        decisionId: d.id,
        atMs: d.startedAtMs,
      });
    last.set(d.tenantId, d.budgetBand);
  }
  return {
    ...summarize(decisions),
    decisions,
    bandCrossings,
    sources: { reusedCalls: 0, sampledCalls: 0, assumedCalls: 0, unobservedRoutes: [] },
  };
}

/** Most changed decisions `compareReplays` lists by default. */
export const DEFAULT_MAX_CHANGES = 50;

/**
 * Two replays of the same window side by side (overall and per tenant and class) with the draft's deltas, the
 * number of decisions that end differently, and the first of them. `recorded` adds what really happened.
 */
export function compareReplays(
  published: ReplayReport,
  draft: ReplayReport,
  options: { recorded?: ReplayReport; maxChanges?: number } = {},
): ReplayComparison {
  const { recorded, maxChanges = DEFAULT_MAX_CHANGES } = options;
  const side = (p: ReplayMetrics, d: ReplayMetrics, r: ReplayMetrics | undefined): ReplaySideBySide => ({
    published: p,
    draft: d,
    delta: deltaOf(p, d),
    ...(r && { recorded: r }),
  });
  const index = (r: ReplayReport | undefined) =>
    new Map(r?.groups.map((g) => [groupKey(g.tenantId, g.trafficClass), g]));
  const [pub, dra, rec] = [index(published), index(draft), index(recorded)];
  const keys = new Map([...published.groups, ...draft.groups].map((g) => [groupKey(g.tenantId, g.trafficClass), g]));
  const groups = [...keys.entries()]
    .map(([key, { tenantId, trafficClass }]) => ({
      tenantId,
      trafficClass,
      ...side(pub.get(key)?.metrics ?? EMPTY, dra.get(key)?.metrics ?? EMPTY, rec.get(key)?.metrics),
    }))
    .sort(compareKeys);

  const draftById = new Map(draft.decisions.map((d) => [d.decisionId, d]));
  const changes: ReplayChange[] = [];
  let changedDecisions = 0;
  for (const p of published.decisions) {
    const d = draftById.get(p.decisionId);
    if (!d || !endsDifferently(p, d)) continue;
    changedDecisions++;
    if (changes.length < maxChanges)
      changes.push({
        decisionId: p.decisionId,
        tenantId: p.tenantId,
        trafficClass: p.trafficClass,
        published: p,
        draft: d,
      });
  }
  return {
    overall: side(published.overall, draft.overall, recorded?.overall),
    groups,
    changedDecisions,
    changes,
    ...(published.bandCrossings &&
      draft.bandCrossings && {
        bandCrossings: {
          published: published.bandCrossings,
          draft: draft.bandCrossings,
          ...(recorded?.bandCrossings && { recorded: recorded.bandCrossings }),
        },
      }),
    sources: { published: published.sources, draft: draft.sources },
  };
}

const EMPTY: ReplayMetrics = {
  requests: 0,
  answered: 0,
  success: 0,
  degraded: 0,
  failed: 0,
  deferred: 0,
  fallbacks: 0,
  fallbackRate: null,
  calls: 0,
  costUsd: 0,
  p95LatencyMs: null,
  tierActivation: [],
  errors: [],
};

const endsDifferently = (a: ReplayedDecision, b: ReplayedDecision) =>
  a.outcome !== b.outcome ||
  a.finalRouteId !== b.finalRouteId ||
  a.finalTier !== b.finalTier ||
  a.errorCode !== b.errorCode;

const rank = (band: BudgetBand) => BUDGET_BANDS.indexOf(band);

/** The bands each tenant's projected spend enters, in order; spend restarts at zero in each later UTC month. */
function projectBandCrossings(
  window: readonly StoredDecision[],
  results: readonly ReplayedDecision[],
  budgets: ReadonlyMap<string, TenantBudget>,
  policyOf: (tenantId: string) => Policy,
): BandCrossing[] {
  const crossings: BandCrossing[] = [];
  const spent = new Map<string, { month: string; usd: number }>();
  window.forEach((d, i) => {
    const budget = budgets.get(d.tenantId);
    if (!budget) return;
    const month = new Date(d.startedAtMs).toISOString().slice(0, 7);
    let s = spent.get(d.tenantId);
    if (!s || s.month !== month) {
      s = { month, usd: month === budget.month ? budget.spentBeforeUsd : 0 };
      spent.set(d.tenantId, s);
    }
    const bands = policyOf(d.tenantId).budgetBands;
    const bandAt = (spentUsd: number) =>
      budgetBand(
        {
          tenantId: d.tenantId,
          monthlyLimitUsd: budget.monthlyLimitUsd,
          prepaidBalanceUsd: null,
          dailyLimitUsd: null,
          retryBudgetPerDay: null,
          spentUsd,
          reservedUsd: 0,
          dailySpentUsd: 0,
          retriesUsedToday: 0,
        },
        bands,
      );
    const from = bandAt(s.usd);
    s.usd += results[i]!.costUsd;
    const to = bandAt(s.usd);
    if (rank(to) > rank(from))
      crossings.push({ tenantId: d.tenantId, from, to, decisionId: d.id, atMs: d.startedAtMs });
  });
  return crossings;
}

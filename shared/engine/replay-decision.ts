import type { CompletionRequest, DegradedReason } from '../contracts/completion.js';
import type { DecisionOutcome, FailureKind } from '../contracts/decision.js';
import type { DegradeTier, Policy } from '../contracts/policy.js';
import type { RouteSpec } from '../contracts/route.js';
import type { ReplayedDecision, StoredAttempt, StoredDecision } from '../contracts/what-if.js';
import { backoffDelay } from './backoff.js';
import { isBackstopError } from './errors.js';
import { ruleFor } from './failure-kinds.js';
import { keyedRandom } from './keyed-random.js';
import { CHARS_PER_TOKEN, costUsd, DEFAULT_MAX_OUTPUT_TOKENS, MESSAGE_OVERHEAD_TOKENS } from './pricing.js';
import { planRequest, qualityRank, type PlannedRouteTier, type RequestPlan } from './request-plan.js';
import type { ReplayBreakers } from './replay-breakers.js';
import { drawVisit, isHealthSkip, type HealthSkip, type RouteHealthModel } from './route-health.js';
import { orderRoutes } from './routing.js';

/** What replaying one decision needs besides the decision and the policy. */
export interface ReplayDecisionContext {
  routes: ReadonlyMap<string, RouteSpec>;
  health: RouteHealthModel;
  /** Per-tier timeouts by route-tier position, in milliseconds, as the engine was given. Defaults to the engine's. */
  tierTimeoutsMs?: readonly number[];
  /** The replay's breakers, fed by every replayed call in window order; without them no breaker opens. */
  breakers?: ReplayBreakers;
}

/** One replayed request, and where its calls' outcomes came from. */
export interface DecisionReplay {
  result: ReplayedDecision;
  reused: number;
  sampled: number;
  /** Routes called without any observation in the window (assumed healthy). */
  assumed: string[];
}

type Visit =
  | { kind: 'skip'; skipReason: HealthSkip }
  | { kind: 'call'; ok: boolean; failureKind?: FailureKind; latencyMs: number; usage: Usage; record?: StoredAttempt };
type Usage = { inputTokens: number; outputTokens: number };
type End = { outcome: DecisionOutcome; finalRouteId?: string | null; finalTier?: number | null; errorCode?: string };

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0 };
const STAND_IN_MODES = new Set(['cache', 'default_response']);
const DEFERRED = {
  queue: { outcome: 'queued', reason: 'queued' },
  pause: { outcome: 'queued', reason: 'paused' },
  human_review: { outcome: 'in_review', reason: 'human_review' },
} as const;

/**
 * Runs one stored request again through `policy` without calling anything, mirroring the engine's walk through its
 * plan (`planRequest`, `orderRoutes`, the failure table, retry caps and backoff, timeouts, deadline, hard stops,
 * sensitive quality, degrade modes). The n-th call the replay makes to a route is the n-th call the request made to
 * it, as recorded (outcome, latency, tokens); past the recording, a call goes out if the replay's breaker for the
 * route lets it, and is drawn from the route's observed health, seeded by decision id and route. Every call feeds
 * the breaker. See `replayWindow` for what is simplified.
 */
export function replayDecision(decision: StoredDecision, policy: Policy, ctx: ReplayDecisionContext): DecisionReplay {
  const sources: Omit<DecisionReplay, 'result'> = { reused: 0, sampled: 0, assumed: [] };
  const { request, inputTokens } = replayRequest(decision);
  let plan: RequestPlan;
  try {
    plan = planRequest({
      policy,
      request,
      tenantId: decision.tenantId,
      routes: ctx.routes,
      band: decision.budgetBand,
      ...(ctx.tierTimeoutsMs && { tierTimeoutsMs: ctx.tierTimeoutsMs }),
    });
  } catch (e) {
    // A policy naming a route the catalogue no longer has: the engine ends such a request with this code.
    const errorCode = isBackstopError(e) ? e.code : 'INTERNAL';
    return {
      ...sources,
      result: finish(decision, request.trafficClass, [], null, 0, 0, 0, { outcome: 'failed', errorCode }),
    };
  }

  const random = keyedRandom(`${decision.id}:plan`);
  const { retry: retryPolicy, hardStop, deadlineMs } = plan.classPolicy;
  const recordedInput = Math.max(0, ...decision.attempts.map((a) => a.inputTokens));
  const recordedOutput = decision.attempts.findLast((a) => a.outcome === 'success')?.outputTokens;
  const recorded = recordedVisits(decision);
  const cursor = new Map<string, number>();
  // A request the budget stopped mid-way (a reservation refused) stays stopped at its first call past the recording.
  const budgetStopped = decision.errorCode === 'QUOTA_EXHAUSTED';
  // A request refused for itself (bad_request, content_policy) would be refused by any route it did not reach.
  const refusedFor = decision.attempts.find(
    (a) => a.outcome === 'failure' && isRequestFault(a.failureKind),
  )?.failureKind;
  const reasons: DegradedReason[] = [...plan.degradedReasons];
  let originalRouteId: string | null = plan.downgradedRoutes[0]?.route.id ?? null;
  let elapsed = 0;
  let retrySlept = 0;
  let calls = 0;
  let cost = 0;
  let minContextWindow = 0;
  let forbidden = false;
  let circuitOpen = false;
  const failedProviders = new Set<string>();

  const end = (e: End) => ({
    ...sources,
    result: finish(decision, plan.trafficClass, reasons, originalRouteId, calls, cost, elapsed, e),
  });
  const fail = (errorCode: string) => end({ outcome: 'failed', errorCode });
  const touch = (route: RouteSpec) => (originalRouteId ??= route.id);

  const { breakers } = ctx;
  // Frees the half-open probe slot a check may have taken when no call goes out, as the engine does.
  const noCall = (route: RouteSpec, atMs: number) =>
    breakers?.record(route, { ok: false, countsForHealth: false, latencyMs: 0 }, atMs);

  const visit = (route: RouteSpec, atMs: number): Visit | 'budget' => {
    const n = cursor.get(route.id) ?? 0;
    cursor.set(route.id, n + 1);
    const record = recorded.get(route.id)?.[n];
    if (record) {
      if (record.outcome === 'skipped') return { kind: 'skip', skipReason: record.skipReason as HealthSkip };
      // The call went out, whatever the replay's breaker says: it only learns from it.
      breakers?.check(route.id, record.startedAtMs);
      sources.reused++;
      const usage = { inputTokens: record.inputTokens, outputTokens: record.outputTokens };
      const ok = record.outcome === 'success';
      return {
        kind: 'call',
        ok,
        failureKind: record.failureKind ?? 'unknown',
        latencyMs: record.latencyMs,
        usage,
        record,
      };
    }
    if (breakers && !breakers.check(route.id, atMs)) return { kind: 'skip', skipReason: 'circuit_open' };
    if (budgetStopped) {
      noCall(route, atMs);
      return 'budget';
    }
    const draw = drawVisit(ctx.health, route.id, keyedRandom(`${decision.id}:${route.id}:${n}`));
    if (draw.kind === 'skip') {
      noCall(route, atMs);
      return draw;
    }
    if (draw.assumed) {
      if (!sources.assumed.includes(route.id)) sources.assumed.push(route.id);
    } else sources.sampled++;
    if (refusedFor)
      return { kind: 'call', ok: false, failureKind: refusedFor, latencyMs: draw.latencyMs, usage: NO_USAGE };
    if (!draw.ok)
      return { kind: 'call', ok: false, failureKind: draw.failureKind, latencyMs: draw.latencyMs, usage: NO_USAGE };
    const usage = { inputTokens: recordedInput || inputTokens, outputTokens: recordedOutput ?? draw.outputTokens };
    return { kind: 'call', ok: true, latencyMs: draw.latencyMs, usage };
  };

  // The pause the request really took after a recorded call: before its recorded retry, or, when it moved on after
  // at least a backoff's minimum (it slept, then found the route's breaker open), before its next attempt.
  // Otherwise a backoff, as the engine would draw one.
  const delayBefore = (route: RouteSpec, retry: number, last: StoredAttempt | undefined) => {
    if (last) {
      const retried = recorded.get(route.id)?.[cursor.get(route.id) ?? 0];
      const next =
        retried && retried.outcome !== 'skipped' ? retried : decision.attempts[decision.attempts.indexOf(last) + 1];
      const gap = next ? Math.max(0, next.startedAtMs - (last.startedAtMs + last.latencyMs)) : undefined;
      const slept = Math.min(retryPolicy.maxDelayMs, retryPolicy.baseDelayMs * 2 ** retry) / 2;
      if (gap !== undefined && (next === retried || gap >= slept)) return gap;
    }
    return backoffDelay(retry, retryPolicy, random);
  };

  const runRouteTier = (tier: PlannedRouteTier, position: number): 'next' | ReturnType<typeof end> => {
    const ordered = orderRoutes(tier.strategy, tier.routes, {
      random,
      latencyOf: (id) => ctx.health.routes.get(id)?.p50LatencyMs,
      expectedTokens: { input: inputTokens, output: DEFAULT_MAX_OUTPUT_TOKENS },
    });
    const laterTierExists = position < plan.tiers.length - 1;
    let tierRetries = 0;
    for (const [i, route] of ordered.entries()) {
      const moreAfterThis = laterTierExists || i < ordered.length - 1;
      if (
        plan.sensitive &&
        (tier.flagUncertain || qualityRank(route.qualityClass) > qualityRank(plan.requiredQuality))
      ) {
        forbidden = true;
        touch(route);
        continue;
      }
      if (route.contextWindow < Math.max(minContextWindow, inputTokens)) {
        touch(route);
        continue;
      }
      const maxProviders = hardStop.maxProviderFailures;
      if (maxProviders !== undefined && failedProviders.size >= maxProviders && !failedProviders.has(route.provider)) {
        touch(route);
        return fail('ALL_TIERS_FAILED');
      }
      for (let retry = 0; ; retry++) {
        const remaining = deadlineMs - elapsed;
        if (remaining <= 0) return fail('DEADLINE_EXCEEDED');
        let v = visit(route, decision.startedAtMs + elapsed);
        if (v === 'budget') return fail('QUOTA_EXHAUSTED');
        touch(route);
        if (v.kind === 'skip') {
          if (v.skipReason === 'circuit_open' && retry === 0) circuitOpen = true;
          break;
        }
        const limit = Math.min(tier.timeoutMs, remaining);
        // A call slower than this tier's timeout would have been aborted: a timeout with no usage.
        if (v.latencyMs > limit) v = { ...v, ok: false, failureKind: 'timeout', latencyMs: limit, usage: NO_USAGE };
        const startedAtMs = v.record?.startedAtMs ?? decision.startedAtMs + elapsed;
        calls++;
        elapsed += v.latencyMs;
        cost += costUsd(route, v.usage);
        const rule = v.ok ? undefined : ruleFor(v.failureKind ?? 'unknown');
        const outcome = { ok: v.ok, countsForHealth: rule?.health ?? true, latencyMs: v.latencyMs };
        breakers?.record(route, outcome, startedAtMs + v.latencyMs);
        if (!rule) {
          if (position > 0 && !reasons.includes('fallback')) reasons.push('fallback');
          if (tier.flagUncertain && !reasons.includes('uncertain')) reasons.push('uncertain');
          return end({
            outcome: reasons.length ? 'degraded' : 'success',
            finalRouteId: route.id,
            finalTier: tier.tier,
          });
        }
        const kind = v.failureKind ?? 'unknown';
        if (rule.health) failedProviders.add(route.provider);
        if (kind === 'aborted') return fail('ALL_TIERS_FAILED');
        if (!rule.fallback) return fail('REQUEST_REJECTED');
        if (hardStop.immediate) return fail('ALL_TIERS_FAILED');
        if (kind === 'context_length') minContextWindow = Math.max(minContextWindow, route.contextWindow + 1);
        if (!rule.retry || retry >= retryPolicy.maxRetriesPerRoute || tierRetries >= retryPolicy.maxRetriesPerTier)
          break;
        const delay = delayBefore(route, retry, v.record);
        if (retrySlept + delay > retryPolicy.maxRetryTimeMs) break;
        if (elapsed + delay >= deadlineMs) break;
        if (moreAfterThis && delay > retryPolicy.skipToFallbackAboveMs) break;
        elapsed += delay;
        retrySlept += delay;
        tierRetries++;
      }
    }
    return 'next';
  };

  const runDegradeTier = (tier: DegradeTier & { tier: number }): 'next' | 'fail_fast' | ReturnType<typeof end> => {
    for (const mode of tier.modes) {
      if (plan.sensitive && STAND_IN_MODES.has(mode)) {
        forbidden = true;
        continue;
      }
      if (mode === 'fail_fast') return 'fail_fast';
      // Whether the cache held an answer is not logged: only a request the cache answered then finds one now.
      if (mode === 'cache' && decision.degradedReasons.includes('cache')) {
        reasons.push('cache');
        return end({ outcome: 'degraded', finalRouteId: decision.finalRouteId, finalTier: tier.tier });
      }
      if (mode === 'default_response' && tier.defaultResponse !== undefined) {
        reasons.push('default_response');
        return end({ outcome: 'degraded', finalRouteId: null, finalTier: tier.tier });
      }
      if (mode === 'queue' || mode === 'pause' || mode === 'human_review') {
        reasons.push(DEFERRED[mode].reason);
        return end({ outcome: DEFERRED[mode].outcome, finalRouteId: null, finalTier: tier.tier });
      }
    }
    return 'next';
  };

  if (plan.access === 'exhausted') return fail('QUOTA_EXHAUSTED');
  if (plan.access === 'blocked') return fail('BUDGET_BAND_BLOCKED');
  for (let p = 0; p < plan.tiers.length; p++) {
    const tier = plan.tiers[p]!;
    const out = tier.kind === 'degrade' ? runDegradeTier(tier) : runRouteTier(tier, p);
    if (out === 'fail_fast') break;
    if (out !== 'next') return out;
  }
  if (plan.sensitive && forbidden) return fail('DOWNGRADE_FORBIDDEN');
  if (calls === 0 && circuitOpen) return fail('CIRCUIT_OPEN');
  return fail('ALL_TIERS_FAILED');
}

function isRequestFault(kind: FailureKind | null | undefined): kind is FailureKind {
  if (!kind || kind === 'aborted') return false;
  const rule = ruleFor(kind);
  return !rule.fallback && !rule.health;
}

/**
 * The request as far as the log can tell: class, feature, sensitivity, and a prompt of the recorded size (in
 * estimated tokens). The prompt text itself is only built where the plan prices it: a budget downgrade.
 */
function replayRequest(d: StoredDecision): { request: CompletionRequest; inputTokens: number } {
  const maxInput = Math.max(0, ...d.attempts.map((a) => a.inputTokens));
  const chars = d.promptChars ?? maxInput * CHARS_PER_TOKEN;
  const priced = d.budgetBand === 'downgrade' || d.budgetBand === 'conserve';
  const request: CompletionRequest = {
    trafficClass: d.trafficClass,
    messages: [{ role: 'user', content: priced ? 'x'.repeat(chars) : '' }],
    params: {},
    sensitive: d.sensitive,
    tags: [],
    metadata: {},
    ...(d.featureId && { featureId: d.featureId }),
  };
  // What `estimateTokens` gives for that prompt, without building it.
  return { request, inputTokens: MESSAGE_OVERHEAD_TOKENS + Math.ceil(chars / CHARS_PER_TOKEN) };
}

/**
 * Per route, the recorded calls and skips for the route's state (breaker, rate limit, switched off), in order: what
 * the replay's n-th visit to the route reuses.
 */
function recordedVisits(d: StoredDecision): Map<string, StoredAttempt[]> {
  const visits = new Map<string, StoredAttempt[]>();
  for (const a of d.attempts) {
    if (a.outcome === 'skipped' && !isHealthSkip(a.skipReason)) continue;
    const list = visits.get(a.routeId);
    if (list) list.push(a);
    else visits.set(a.routeId, [a]);
  }
  return visits;
}

function finish(
  d: StoredDecision,
  trafficClass: ReplayedDecision['trafficClass'],
  reasons: readonly DegradedReason[],
  originalRouteId: string | null,
  calls: number,
  cost: number,
  latencyMs: number,
  e: End,
): ReplayedDecision {
  const finalRouteId = e.finalRouteId ?? null;
  return {
    decisionId: d.id,
    tenantId: d.tenantId,
    trafficClass,
    outcome: e.outcome,
    finalRouteId,
    finalTier: e.finalTier ?? null,
    errorCode: e.errorCode ?? null,
    fallback: (finalRouteId !== null && finalRouteId !== originalRouteId) || reasons.includes('fallback'),
    calls,
    costUsd: cost,
    latencyMs,
  };
}

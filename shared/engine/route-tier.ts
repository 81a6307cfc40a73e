import type { AttemptRecord } from '../contracts/decision.js';
import type { RouteSpec } from '../contracts/route.js';
import type { Invoke } from './attempt.js';
import { backoffDelay } from './backoff.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { DecisionDraft } from './decision-draft.js';
import {
  AllTiersFailedError,
  BudgetExceededError,
  DeadlineExceededError,
  RequestRejectedError,
  type BackstopError,
} from './errors.js';
import type { BudgetDeniedEvent } from './events.js';
import { ruleFor, type Failure } from './failure-kinds.js';
import type { CompleteInput } from './fallback-engine.js';
import type { BudgetStore, Clock, ProviderResult, Random, ReviewCandidate, RouteGate, RouteSwitch } from './ports.js';
import { confidenceOf } from './quality-guards.js';
import { costUsd, estimateCostUsd, estimateTokens } from './pricing.js';
import { qualityRank, type PlannedRouteTier, type RequestPlan } from './request-plan.js';
import { orderRoutes } from './routing.js';
import { sleep } from './timeout.js';

/** What one request has spent and seen so far, across tiers. */
export interface RunState {
  deadlineAtMs: number;
  /** Time slept between retries, in milliseconds (capped by the retry policy). */
  retrySleptMs: number;
  /** Providers with a failure that speaks to their health. */
  failedProviders: Set<string>;
  /** After a context-length failure, only routes with at least this window are tried. In tokens. */
  minContextWindow: number;
  /** Why a sensitive request could not use a route or mode. */
  forbidden: string[];
  /** Routes skipped because their breaker is open. */
  circuitOpen: string[];
  /** Routes skipped because an operator switched them (or their tier) off. */
  disabled: string[];
  /** Answers that failed a quality guard, kept for a human reviewer should the request end in review. */
  candidates: ReviewCandidate[];
  lastFailure?: Failure;
}

export type TierOutcome =
  | { kind: 'answer'; route: RouteSpec; result: ProviderResult }
  | { kind: 'next' }
  | { kind: 'stop'; error: BackstopError };

interface Deps {
  clock: Clock;
  invoke: Invoke;
  random: Random;
  newId: () => string;
  breakers: CircuitBreakers;
  budgetStore?: BudgetStore | undefined;
  routeGate?: RouteGate | undefined;
  routeSwitch?: RouteSwitch | undefined;
  emitBudgetDenied: (e: BudgetDeniedEvent) => void;
}

/** Tries one tier's routes in strategy order, with same-route retries, until one answers or the tier is spent. */
export async function runRouteTier(
  deps: Deps,
  ctx: {
    input: CompleteInput;
    plan: RequestPlan;
    draft: DecisionDraft;
    state: RunState;
    tier: PlannedRouteTier;
    position: number;
  },
): Promise<TierOutcome> {
  const { clock, breakers } = deps;
  const { input, plan, draft, state, tier } = ctx;
  const { retry: retryPolicy, hardStop, quality } = plan.classPolicy;
  const request = input.request;
  const inputTokens = estimateTokens(request.messages);
  const latencies = new Map<string, number | undefined>();
  if (tier.strategy === 'lowest_latency') {
    for (const r of tier.routes) latencies.set(r.id, (await breakers.stats(r.id)).p50LatencyMs);
  }
  const ordered = orderRoutes(tier.strategy, tier.routes, {
    random: deps.random,
    latencyOf: (id) => latencies.get(id),
    expectedTokens: { input: inputTokens, output: request.params.maxTokens ?? 512 },
  });
  const laterTierExists = ctx.position < plan.tiers.length - 1;
  const skip = (
    route: RouteSpec,
    skipReason: NonNullable<AttemptRecord['skipReason']>,
    breakerState: AttemptRecord['breakerState'] = 'closed',
  ) => draft.add(route, tier.tier, { outcome: 'skipped', skipReason, breakerState, startedAtMs: clock.now() });
  const stop = (error: BackstopError): TierOutcome => ({ kind: 'stop', error });
  let tierRetries = 0;

  for (const [i, route] of ordered.entries()) {
    const moreAfterThis = laterTierExists || i < ordered.length - 1;
    // First: a switched-off route is out of the request altogether, whatever else would have applied to it.
    if (deps.routeSwitch && !deps.routeSwitch.isEnabled(route, tier.tier, plan.trafficClass)) {
      state.disabled.push(route.id);
      skip(route, 'disabled');
      continue;
    }
    if (plan.sensitive && (tier.flagUncertain || qualityRank(route.qualityClass) > qualityRank(plan.requiredQuality))) {
      state.forbidden.push(`${route.id} is ${tier.flagUncertain ? 'an uncertain stand-in' : route.qualityClass}`);
      skip(route, 'sensitive_quality');
      continue;
    }
    if (route.contextWindow < Math.max(state.minContextWindow, inputTokens)) {
      skip(route, 'context_window');
      continue;
    }
    const maxProviders = hardStop.maxProviderFailures;
    if (
      maxProviders !== undefined &&
      state.failedProviders.size >= maxProviders &&
      !state.failedProviders.has(route.provider)
    ) {
      skip(route, 'provider_limit');
      const msg = `hard stop: ${state.failedProviders.size} providers failed (${[...state.failedProviders].join(', ')})`;
      return stop(new AllTiersFailedError(draft.id, draft.attempts, state.lastFailure, msg));
    }

    for (let retry = 0; ; retry++) {
      const remaining = state.deadlineAtMs - clock.now();
      if (remaining <= 0) return stop(new DeadlineExceededError(plan.classPolicy.deadlineMs, draft.id, draft.attempts));
      const gate = await breakers.check(route);
      if (!gate.allowed) {
        if (retry === 0) {
          state.circuitOpen.push(route.id);
          skip(route, 'circuit_open', gate.state);
        }
        break;
      }
      if (deps.routeGate && !(await deps.routeGate.admit(route, inputTokens))) {
        // Free the half-open probe slot that `check` may have taken: no call is made.
        await breakers.record(route, { ok: false, countsForHealth: false, latencyMs: 0 });
        const startedAtMs = clock.now();
        draft.add(route, tier.tier, {
          outcome: 'skipped',
          skipReason: 'rate_limited',
          breakerState: gate.state,
          retry,
          startedAtMs,
        });
        break;
      }

      let reservationId: string | undefined;
      if (deps.budgetStore) {
        reservationId = deps.newId();
        const held = await deps.budgetStore.reserve({
          tenantId: input.tenantId,
          reservationId,
          amountUsd: estimateCostUsd(route, request.messages, request.params),
          daily: hardStop.budget === 'daily',
        });
        if (!held.ok) {
          // Free the half-open probe slot that `check` may have taken: no call is made.
          await breakers.record(route, { ok: false, countsForHealth: false, latencyMs: 0 });
          deps.emitBudgetDenied({
            decisionId: draft.id,
            tenantId: input.tenantId,
            budget: held.budget,
            band: draft.budgetBand,
          });
          return stop(new BudgetExceededError(held.budget, input.tenantId, draft.id));
        }
      }

      const startedAtMs = clock.now();
      const outcome = await deps.invoke(
        {
          route,
          messages: request.messages,
          params: request.params,
          requestId: draft.id,
          ...(request.responseSchema && { responseSchema: request.responseSchema }),
        },
        { timeoutMs: Math.min(tier.timeoutMs, remaining), signal: input.signal, quality },
      );
      const usage = outcome.ok ? outcome.result.usage : outcome.result?.usage;
      const cost = usage ? costUsd(route, usage) : 0;
      if (usage) deps.routeGate?.record(route, usage);
      if (reservationId) {
        // A provider that answered charged for its tokens, even if the answer then failed a guard.
        await (usage ? deps.budgetStore!.settle(reservationId, cost) : deps.budgetStore!.release(reservationId));
      }
      const rule = outcome.ok ? undefined : ruleFor(outcome.failure.kind);
      await breakers.record(route, {
        ok: outcome.ok,
        countsForHealth: rule?.health ?? true,
        latencyMs: outcome.latencyMs,
      });
      draft.add(route, tier.tier, {
        outcome: outcome.ok ? 'success' : 'failure',
        ...(!outcome.ok && {
          failureKind: outcome.failure.kind,
          ...(outcome.failure.status !== undefined && { status: outcome.failure.status }),
          ...(outcome.failure.providerCode !== undefined && { providerCode: outcome.failure.providerCode }),
        }),
        retry,
        breakerState: gate.state,
        startedAtMs,
        latencyMs: outcome.latencyMs,
        inputTokens: usage?.inputTokens ?? 0,
        outputTokens: usage?.outputTokens ?? 0,
        costUsd: cost,
      });
      if (outcome.ok) return { kind: 'answer', route, result: outcome.result };
      if (outcome.failure.kind === 'low_quality' && outcome.result && outcome.result.content.trim() !== '') {
        const { content, tokenLogprobs } = outcome.result;
        state.candidates.push({ routeId: route.id, content, confidence: confidenceOf(tokenLogprobs) ?? null });
      }
      if (outcome.final) {
        return stop(new AllTiersFailedError(draft.id, draft.attempts, outcome.failure, outcome.failure.message));
      }

      const failure = outcome.failure;
      state.lastFailure = failure;
      if (rule!.health) state.failedProviders.add(route.provider);
      if (input.signal?.aborted || failure.kind === 'aborted') {
        return stop(new AllTiersFailedError(draft.id, draft.attempts, failure, 'the caller cancelled the request'));
      }
      if (!rule!.fallback) return stop(new RequestRejectedError(failure, draft.id, draft.attempts));
      if (hardStop.immediate) {
        return stop(
          new AllTiersFailedError(
            draft.id,
            draft.attempts,
            failure,
            `hard stop: ${failure.kind} (no fallback for ${plan.trafficClass})`,
          ),
        );
      }
      if (failure.kind === 'context_length')
        state.minContextWindow = Math.max(state.minContextWindow, route.contextWindow + 1);
      if (!rule!.retry || retry >= retryPolicy.maxRetriesPerRoute || tierRetries >= retryPolicy.maxRetriesPerTier)
        break;

      const delay = failure.retryAfterMs ?? backoffDelay(retry, retryPolicy, deps.random);
      if (state.retrySleptMs + delay > retryPolicy.maxRetryTimeMs) break;
      if (clock.now() + delay >= state.deadlineAtMs) break;
      // Another route or tier can answer now: do not sleep out a long wait first.
      if (moreAfterThis && delay > retryPolicy.skipToFallbackAboveMs) break;
      if (hardStop.budget === 'retry' && deps.budgetStore && !(await deps.budgetStore.consumeRetry(input.tenantId))) {
        deps.emitBudgetDenied({
          decisionId: draft.id,
          tenantId: input.tenantId,
          budget: 'retry',
          band: draft.budgetBand,
        });
        return stop(new BudgetExceededError('retry', input.tenantId, draft.id));
      }
      try {
        await sleep(clock, delay, input.signal);
      } catch {
        return stop(new AllTiersFailedError(draft.id, draft.attempts, failure, 'the caller cancelled the request'));
      }
      state.retrySleptMs += delay;
      tierRetries++;
    }
  }
  return { kind: 'next' };
}

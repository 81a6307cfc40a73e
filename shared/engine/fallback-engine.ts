import type { CompletionRequest, CompletionResult } from '../contracts/completion.js';
import type { AttemptRecord, CanaryArm, Decision } from '../contracts/decision.js';
import type { Policy } from '../contracts/policy.js';
import type { RouteSpec } from '../contracts/route.js';
import { callRoute, type Invoke } from './attempt.js';
import { budgetBand, exhaustedBudget } from './budget-guard.js';
import { createStreamSession, type EngineStreamEvent, type StreamFailoverMode } from './stream-session.js';
import { createCircuitBreakers, type BreakerOptions, type CircuitBreakers } from './circuit-breaker.js';
import { DecisionDraft } from './decision-draft.js';
import { standInResult } from './stand-in-result.js';
import { requestReview, runDegradeTier, type DegradeContext, type DegradeOutcome } from './degradation.js';
import {
  AllTiersFailedError,
  BudgetBandBlockedError,
  BudgetExceededError,
  CircuitOpenError,
  DowngradeForbiddenError,
  BackstopError,
  isBackstopError,
} from './errors.js';
import {
  EventEmitter,
  type BreakEvent,
  type BudgetDeniedEvent,
  type EngineEvents,
  type FallbackEvent,
} from './events.js';
import { createMemoryBreakerStore } from './memory-breaker-store.js';
import type {
  BreakerStore,
  BudgetStore,
  Clock,
  DecisionContext,
  DecisionSink,
  ProviderResolver,
  Random,
  ResponseCache,
  RouteGate,
  RouteSwitch,
  WorkQueue,
} from './ports.js';
import { confidenceOf } from './quality-guards.js';
import { planRequest } from './request-plan.js';
import { runRouteTier, type RunState } from './route-tier.js';

export interface FallbackEngineOptions {
  clock: Clock;
  random: Random;
  /** Makes ids for decisions and budget reservations. */
  newId: () => string;
  /** The route catalogue that policies name. */
  routes: ReadonlyMap<string, RouteSpec>;
  providers: ProviderResolver;
  /** Defaults to an in-memory store (one process). */
  breakerStore?: BreakerStore;
  breakerOptions?: BreakerOptions;
  /** Without one, tenants are unlimited. */
  budgetStore?: BudgetStore;
  /** Shared per-route limits checked before each call; without one, routes are unlimited. */
  routeGate?: RouteGate;
  /** Operator switches (feature flags) asked before each route; without one, every route is on. */
  routeSwitch?: RouteSwitch;
  cache?: ResponseCache;
  decisionSink?: DecisionSink;
  workQueue?: WorkQueue;
  /** Per-tier timeouts by route-tier position, in milliseconds. Defaults to 20 000, 12 000, 8 000. */
  tierTimeoutsMs?: readonly number[];
}

export interface CompleteInput {
  tenantId: string;
  policy: Policy;
  request: CompletionRequest;
  /** Becomes the decision id; one is made when absent. */
  requestId?: string;
  /** The caller's cancellation (client disconnect). */
  signal?: AbortSignal;
  /**
   * Set when a worker runs a deferred job again: the decision carries this job id, and a further deferral keeps
   * the same job instead of making a new one.
   */
  jobId?: string;
  /** The canary of the request's scope and the arm the caller put it on (`policy` is that arm's); on the decision. */
  canary?: { id: string; arm: CanaryArm };
}

export interface FallbackEngine {
  /** Runs one request through its plan. Resolves with the answer (maybe degraded) or throws one typed BackstopError. */
  complete(input: CompleteInput): Promise<CompletionResult>;
  /**
   * Streams one request. A stream that fails before its first token falls back transparently; one that fails
   * mid-way continues on the next route from the partial answer (mode `continue`), starts over (`restart`) or ends
   * (`fail`). The iterator ends with a `done` event carrying the result, or throws one typed BackstopError.
   */
  stream(input: CompleteInput, options?: { mode?: StreamFailoverMode }): AsyncIterable<EngineStreamEvent>;
  readonly events: EngineEvents;
  readonly breakers: CircuitBreakers;
}

/**
 * The fallback engine: plan, attempt, retry, fall back, degrade, decide. Pure: every effect goes through a port.
 * @example
 * const engine = createFallbackEngine({ clock, random: Math.random, newId: randomUUID, routes, providers });
 * const answer = await engine.complete({ tenantId: 'default', policy, request });
 */
export function createFallbackEngine(options: FallbackEngineOptions): FallbackEngine {
  const { clock } = options;
  const emit = {
    attempt: new EventEmitter<{ decisionId: string; attempt: AttemptRecord }>(),
    fallback: new EventEmitter<FallbackEvent>(),
    break: new EventEmitter<BreakEvent>(),
    budgetDenied: new EventEmitter<BudgetDeniedEvent>(),
    decision: new EventEmitter<Decision>(),
  };
  const breakers = createCircuitBreakers({
    store: options.breakerStore ?? createMemoryBreakerStore(),
    clock,
    ...(options.breakerOptions && { options: options.breakerOptions }),
    onStateChange: (e) => emit.break.emit(e),
  });

  const record = (decision: Decision, context: DecisionContext) => {
    // The sink buffers; a failing sink (sync or async) must never fail the request it describes.
    try {
      const pending: unknown = options.decisionSink?.record(decision, context);
      if (pending instanceof Promise) pending.catch(() => undefined);
    } catch {
      /* the sink reports its own failures */
    }
    emit.decision.emit(decision);
  };

  const callPlain: Invoke = (call, o) => callRoute(options, call, o);

  // `streaming`: the caller has already seen the answer's text, so an escalated request is not held for review.
  async function run(input: CompleteInput, invoke: Invoke, streaming: boolean): Promise<CompletionResult> {
    const started = clock.now();
    const decisionId = input.requestId ?? options.newId();
    const draft = new DecisionDraft(
      decisionId,
      input.tenantId,
      input.request,
      started,
      input.policy.version,
      emit.attempt,
    );
    draft.jobId = input.jobId;
    draft.canary = input.canary;
    try {
      return await execute(input, invoke, draft, streaming);
    } catch (e) {
      // Every request records exactly one decision and ends in one typed error, whatever failed underneath.
      const error = isBackstopError(e)
        ? e
        : new BackstopError('INTERNAL', `a store or adapter failed: ${e instanceof Error ? e.message : String(e)}`, {
            cause: e,
          });
      if (!draft.finished) {
        record(draft.finish(clock.now(), { outcome: 'failed', errorCode: error.code }), { request: input.request });
      }
      throw error;
    }
  }

  async function execute(
    input: CompleteInput,
    invoke: Invoke,
    draft: DecisionDraft,
    streaming: boolean,
  ): Promise<CompletionResult> {
    const { tenantId, policy, request } = input;
    const started = draft.startedAtMs;
    const decisionId = draft.id;
    const fail = (error: BackstopError): never => {
      throw error;
    };

    const snapshot = await options.budgetStore?.snapshot(tenantId);
    const band = budgetBand(snapshot, policy.budgetBands);
    const plan = planRequest({
      policy,
      request,
      tenantId,
      routes: options.routes,
      band,
      ...(options.tierTimeoutsMs && { tierTimeoutsMs: options.tierTimeoutsMs }),
    });
    draft.trafficClass = plan.trafficClass;
    draft.sensitive = plan.sensitive;
    draft.budgetBand = band;
    plan.degradedReasons.forEach((r) => draft.reason(r));
    for (const { route, tier } of plan.downgradedRoutes) {
      draft.add(route, tier, { outcome: 'skipped', skipReason: 'budget_downgrade', startedAtMs: started });
    }
    if (plan.access === 'exhausted') {
      const budget = exhaustedBudget(snapshot) ?? 'monthly';
      emit.budgetDenied.emit({ decisionId, tenantId, budget, band });
      return fail(new BudgetExceededError(budget, tenantId, decisionId));
    }
    if (plan.access === 'blocked') {
      emit.budgetDenied.emit({ decisionId, tenantId, budget: 'band', band });
      return fail(new BudgetBandBlockedError(band, plan.trafficClass, decisionId));
    }

    const state: RunState = {
      deadlineAtMs: started + plan.classPolicy.deadlineMs,
      retrySleptMs: 0,
      failedProviders: new Set(),
      minContextWindow: 0,
      forbidden: [],
      circuitOpen: [],
      disabled: [],
      candidates: [],
    };
    const deps = {
      ...options,
      invoke,
      breakers,
      emitBudgetDenied: (e: BudgetDeniedEvent) => emit.budgetDenied.emit(e),
    };
    const degradeContext = (why: string): DegradeContext => ({
      tenantId,
      decisionId,
      request,
      sensitive: plan.sensitive,
      why,
      cache: options.cache,
      workQueue: options.workQueue,
      candidates: state.candidates,
      jobId: input.jobId,
    });
    /** Ends the request with a stand-in answer or a job id; records its decision. */
    const finishDegraded = (
      outcome: Exclude<DegradeOutcome, { kind: 'fail_fast' }>,
      finalTier: number | null,
    ): CompletionResult => {
      draft.reason(outcome.reason);
      const deferred = outcome.kind === 'deferred';
      const decision = draft.finish(clock.now(), {
        outcome: deferred ? outcome.status : 'degraded',
        finalRouteId: deferred ? null : outcome.routeId,
        finalTier,
        ...(deferred && { jobId: outcome.jobId }),
      });
      record(decision, { request, ...(!deferred && { answer: outcome.content }) });
      return standInResult(decision, {
        status: deferred ? outcome.status : 'answered',
        content: deferred ? '' : outcome.content,
        toolCalls: deferred ? [] : outcome.toolCalls,
        source: deferred ? (outcome.status === 'in_review' ? 'human_review' : 'queue') : outcome.source,
        routeId: decision.finalRouteId,
        tier: finalTier,
        uncertain: !deferred && outcome.uncertain,
        attempts: draft.calls,
        policyVersion: policy.version,
        ...(deferred && { jobId: outcome.jobId }),
      });
    };
    let failedFast = false;

    for (let p = 0; p < plan.tiers.length; p++) {
      const tier = plan.tiers[p]!;
      if (p > 0) {
        const prev = plan.tiers[p - 1]!;
        emit.fallback.emit({
          decisionId,
          fromTier: prev.tier,
          toTier: tier.tier,
          fromRouteId: draft.attempts.at(-1)?.routeId ?? null,
          reason: state.lastFailure?.kind ?? draft.attempts.at(-1)?.skipReason ?? 'no answer',
        });
      }
      if (tier.kind === 'degrade') {
        const why = state.lastFailure
          ? `${state.lastFailure.kind}: ${state.lastFailure.message}`
          : state.disabled.length > 0
            ? `routes switched off (${state.disabled.join(', ')})`
            : 'no route answered';
        const { outcome, forbidden } = await runDegradeTier(tier, degradeContext(why));
        forbidden.forEach((m) => state.forbidden.push(`${m} would serve a stand-in answer`));
        if (!outcome) continue;
        if (outcome.kind === 'fail_fast') {
          failedFast = true;
          break;
        }
        return finishDegraded(outcome, tier.tier);
      }

      const out = await runRouteTier(deps, { input, plan, draft, state, tier, position: p });
      if (out.kind === 'stop') return fail(out.error);
      if (out.kind === 'answer') {
        const { route, result } = out;
        if (p > 0) draft.reason('fallback');
        if (tier.flagUncertain) draft.reason('uncertain');
        if (!streaming && request.metadata.escalate === 'true') {
          const confidence = confidenceOf(result.tokenLogprobs) ?? null;
          const context = degradeContext('escalated by the request (metadata escalate=true)');
          const outcome = await requestReview({
            ...context,
            candidates: [...state.candidates, { routeId: route.id, content: result.content, confidence }],
          });
          if (outcome) return finishDegraded(outcome, tier.tier);
        }
        const decision = draft.finish(clock.now(), {
          outcome: draft.degradedReasons.length ? 'degraded' : 'success',
          finalRouteId: route.id,
          finalTier: tier.tier,
        });
        record(decision, { request, answer: result.content });
        if (options.cache && !plan.sensitive && !tier.flagUncertain) {
          const entry = { content: result.content, toolCalls: result.toolCalls, routeId: route.id };
          await options.cache
            .set(tenantId, request, { ...entry, qualityClass: route.qualityClass, storedAtMs: clock.now() })
            .catch(() => undefined);
        }
        return {
          status: 'answered',
          content: result.content,
          toolCalls: result.toolCalls,
          finishReason: result.finishReason,
          source: 'provider',
          routeId: route.id,
          provider: route.provider,
          model: result.model ?? route.model,
          tier: tier.tier,
          degraded: decision.degraded,
          degradedReasons: decision.degradedReasons,
          uncertain: tier.flagUncertain,
          usage: result.usage,
          costUsd: decision.totalCostUsd,
          latencyMs: decision.totalLatencyMs,
          attempts: draft.calls,
          decisionId,
          policyVersion: policy.version,
        };
      }
    }

    // Answers below the confidence floor that no later route beat go to a person rather than to nobody.
    const floor = plan.classPolicy.quality.minConfidence;
    const unsure = state.candidates.filter((c) => floor !== undefined && c.confidence !== null && c.confidence < floor);
    if (!failedFast && unsure.length > 0) {
      const outcome = await requestReview(degradeContext(`answer confidence below minimum (min=${floor})`));
      if (outcome) return finishDegraded(outcome, null);
    }
    if (plan.sensitive && state.forbidden.length > 0) {
      return fail(new DowngradeForbiddenError(state.forbidden.join('; '), decisionId, draft.attempts));
    }
    if (draft.calls === 0 && state.circuitOpen.length > 0) {
      return fail(new CircuitOpenError(state.circuitOpen, decisionId, draft.attempts));
    }
    if (draft.calls === 0 && state.disabled.length > 0) {
      const message = `no route was called: switched off (${state.disabled.join(', ')})`;
      return fail(new AllTiersFailedError(decisionId, draft.attempts, undefined, message));
    }
    return fail(new AllTiersFailedError(decisionId, draft.attempts, state.lastFailure));
  }

  return {
    complete: (input) => run(input, callPlain, false),
    stream(input, streamOptions = {}) {
      const session = createStreamSession(options, streamOptions.mode ?? 'continue');
      run(input, session.invoke, true).then(session.done, session.fail);
      return session.events;
    },
    breakers,
    events: {
      onAttempt: emit.attempt.event,
      onFallback: emit.fallback.event,
      onBreak: emit.break.event,
      onBudgetDenied: emit.budgetDenied.event,
      onDecision: emit.decision.event,
    },
  };
}

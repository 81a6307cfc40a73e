import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { CompletionRequest } from '../../shared/contracts/completion.js';
import type { Decision } from '../../shared/contracts/decision.js';
import type { ClassPolicy } from '../../shared/contracts/policy.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import type { ShadowRoute } from '../../shared/contracts/shadow.js';
import { callRoute } from '../../shared/engine/attempt.js';
import type { Clock, DecisionContext, DecisionSink, ProviderResolver, Random } from '../../shared/engine/ports.js';
import { costUsd, estimateCostUsd } from '../../shared/engine/pricing.js';
import { checkQuality } from '../../shared/engine/quality-guards.js';
import type { ShadowResultRow, ShadowStore } from './shadow-store.js';

/** Mirrored calls in flight at most, per instance, when not set. Defaults to 32. */
export const DEFAULT_MAX_IN_FLIGHT = 32;

// The shadow is judged on what it answers, not refused for it: only the response schema is checked, separately.
const NO_GUARDS: ClassPolicy['quality'] = { nonEmpty: false, rejectTruncated: false, rejectRefusal: false };

export interface ShadowMirrorOptions {
  /** The sink every decision goes on to, unchanged and first (the privacy sink in front of the decision writer). */
  inner: DecisionSink;
  /** Where holds, charges and results go (the shadow store). */
  ledger: Pick<ShadowStore, 'reserve' | 'settle' | 'release' | 'record'>;
  /** The running shadows, from memory: asked once per decision, so it must not touch the database. */
  active: () => readonly ShadowRoute[];
  routes: ReadonlyMap<string, RouteSpec>;
  providers: ProviderResolver;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Mirrored calls in flight at most; a sampled request past it is skipped and counted. Defaults to 32. */
  maxInFlight?: number;
}

/** A decision sink that copies sampled requests to shadow routes after they are served. */
export interface ShadowMirror {
  /** Passes every decision to the inner sink, then schedules the mirrored calls; never blocks, never throws. */
  readonly sink: DecisionSink;
  /** Mirrored calls (and their bookkeeping) not finished yet. */
  inFlight(): number;
  /** Sampled requests of a shadow not mirrored because `maxInFlight` calls were already running (this instance). */
  skippedBusy(shadowId: string): number;
  /** Resolves once every mirror scheduled so far has finished. */
  idle(): Promise<void>;
  /** Mirrors nothing more; aborts the calls in flight (their holds are released, nothing recorded) and waits for them. */
  close(): Promise<void>;
}

/** Whether a served request may be mirrored: never sensitive traffic, never a request deferred to a queue or review. */
export function isMirrorable(decision: Decision, request: CompletionRequest): boolean {
  if (decision.sensitive || request.sensitive) return false;
  if (decision.outcome === 'queued' || decision.outcome === 'in_review') return false;
  // A request refused before any call (budget, band, every route closed) has nothing to compare against.
  return decision.outcome !== 'failed' || decision.attempts.some((a) => a.outcome !== 'skipped');
}

const matches = (shadow: ShadowRoute, decision: Decision) =>
  (shadow.scope === 'global' || shadow.scope === decision.tenantId) &&
  (shadow.trafficClass === null || shadow.trafficClass === decision.trafficClass);

/** Whether `text` matches the request's schema; null when the request has none or there is no answer to check. */
function schemaPass(schema: Record<string, unknown> | undefined, text: string | undefined): boolean | null {
  if (!schema || text === undefined) return null;
  const answer = {
    content: text,
    toolCalls: [],
    finishReason: 'stop' as const,
    usage: { inputTokens: 0, outputTokens: 0 },
  };
  return checkQuality(answer, NO_GUARDS, schema) === undefined;
}

/**
 * Wraps a decision sink so that a sampled share of the requests of each running shadow's scope and class is sent
 * again to the shadow's route once served. The mirrored call starts on a later turn of the event loop, is never
 * awaited by the request, and goes straight to the route's adapter: no breaker, rate limit, tenant budget, cache or
 * decision row sees it. Its cost is held against, then charged to, the shadow's own budget; with nothing left the
 * request is recorded as `skipped_budget` without a call. Sensitive requests are never mirrored.
 * @example
 * const mirror = createShadowMirror({ inner: privacySink, ledger: store, active: () => running, routes, providers,
 *   clock, random: Math.random, logger });
 * createFallbackEngine({ ..., decisionSink: mirror.sink });
 */
export function createShadowMirror(options: ShadowMirrorOptions): ShadowMirror {
  const { ledger, clock, logger } = options;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const closing = new AbortController();
  // Every mirrored call in flight listens for shutdown on this one signal.
  setMaxListeners(maxInFlight + 10, closing.signal);
  const pending = new Set<Promise<void>>();
  const busy = new Map<string, number>();
  let busyWarned = false;

  const mirror = async (shadow: ShadowRoute, decision: Decision, context: DecisionContext) => {
    const { request } = context;
    const route = options.routes.get(shadow.routeId);
    if (!route)
      return void logger.warn({ shadowId: shadow.id, routeId: shadow.routeId }, 'shadow route not in catalogue');
    const serving: ShadowResultRow = {
      shadowId: shadow.id,
      decisionId: decision.id,
      tenantId: decision.tenantId,
      trafficClass: decision.trafficClass,
      servingRouteId: decision.finalRouteId,
      servingOutcome: decision.outcome,
      servingLatencyMs: Math.round(decision.totalLatencyMs),
      servingCostUsd: decision.totalCostUsd,
      servingSchemaPass: schemaPass(request.responseSchema, context.answer),
      shadowOutcome: 'skipped_budget',
    };
    const est = estimateCostUsd(route, request.messages, request.params);
    const holdId = `${decision.id}:${shadow.id}`;
    const hold = await ledger.reserve(shadow.id, est, holdId);
    if (hold === 'no_budget') return ledger.record(serving);
    if (hold === 'stopped') return;
    const outcome = await callRoute(
      { clock, providers: options.providers },
      {
        route,
        messages: request.messages,
        params: request.params,
        requestId: `${decision.id}:shadow`,
        ...(request.responseSchema && { responseSchema: request.responseSchema }),
      },
      { timeoutMs: shadow.timeoutMs, signal: closing.signal, quality: NO_GUARDS },
    );
    // Cut short by shutdown: says nothing about the route, so it is not counted against it.
    if (!outcome.ok && closing.signal.aborted && outcome.failure.kind !== 'timeout') {
      return ledger.release(holdId);
    }
    const usage = outcome.ok ? outcome.result.usage : outcome.result?.usage;
    // With no guard on, a low_quality answer is one that missed the response schema: an answer all the same.
    const answered = outcome.ok || (outcome.failure.kind === 'low_quality' && outcome.result !== undefined);
    await ledger.settle(holdId, {
      ...serving,
      shadowOutcome: answered ? 'success' : 'failure',
      shadowFailureKind: outcome.ok || answered ? null : outcome.failure.kind,
      shadowLatencyMs: Math.round(outcome.latencyMs),
      shadowCostUsd: usage ? costUsd(route, usage) : 0,
      shadowSchemaPass: request.responseSchema && answered ? outcome.ok : null,
    });
  };

  const schedule = (shadow: ShadowRoute, decision: Decision, context: DecisionContext) => {
    if (pending.size >= maxInFlight) {
      busy.set(shadow.id, (busy.get(shadow.id) ?? 0) + 1);
      if (!busyWarned) logger.warn({ shadowId: shadow.id, maxInFlight }, 'shadow mirrors at their limit; skipping');
      busyWarned = true;
      return;
    }
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (closing.signal.aborted ? undefined : mirror(shadow, decision, context)))
      .catch((e: unknown) => logger.warn({ err: e, shadowId: shadow.id }, 'shadow mirror failed; result not recorded'))
      .finally(() => {
        pending.delete(task);
        if (pending.size === 0) busyWarned = false;
      });
    pending.add(task);
  };

  const sink: DecisionSink = {
    record(decision, context) {
      options.inner.record(decision, context);
      if (closing.signal.aborted) return;
      try {
        const shadows = options.active();
        if (shadows.length === 0 || !isMirrorable(decision, context.request)) return;
        for (const shadow of shadows) {
          if (matches(shadow, decision) && options.random() < shadow.sampleRate) schedule(shadow, decision, context);
        }
      } catch (e) {
        // The request this decision describes is already served: a mirror problem must not reach it.
        logger.warn({ err: e }, 'shadow mirror not scheduled');
      }
    },
  };

  const idle = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  return {
    sink,
    inFlight: () => pending.size,
    skippedBusy: (id) => busy.get(id) ?? 0,
    idle,
    async close() {
      closing.abort(new DOMException('shutting down', 'AbortError'));
      await idle();
    },
  };
}

import type { AlertScope } from '../contracts/alert.js';
import type { AttemptRecord, Decision } from '../contracts/decision.js';
import { FAILURE_RULES } from '../engine/failure-kinds.js';
import {
  bump,
  bumpError,
  bumpLatency,
  CALLS,
  COST_USD,
  FALLBACKS,
  HEALTH_FAILURES,
  REQUESTS,
  SUCCESSES,
  TOKENS_IN,
  TOKENS_OUT,
} from './bucket-ring.js';

/** Whether the scope narrows to calls (route, model or tier) rather than to whole requests (class, tenant). */
export function isCallScoped(scope: AlertScope): boolean {
  return scope.routeId !== undefined || scope.model !== undefined || scope.tier !== undefined;
}

/** A request answered, possibly degraded; queued, in-review and failed requests are not successes. */
export function isAnswered(decision: Decision): boolean {
  return decision.outcome === 'success' || decision.outcome === 'degraded';
}

/** A request some tier past the primary answered, or that the engine marked as a fallback. */
export function isFallback(decision: Decision): boolean {
  return (decision.finalTier ?? 0) > 0 || decision.degradedReasons.includes('fallback');
}

function callMatches(scope: AlertScope, a: AttemptRecord): boolean {
  return (
    (scope.routeId === undefined || a.routeId === scope.routeId) &&
    (scope.model === undefined || a.model === scope.model) &&
    (scope.tier === undefined || a.tier === scope.tier)
  );
}

function answeredInScope(scope: AlertScope, d: Decision): boolean {
  if (!isAnswered(d)) return false;
  if (scope.routeId !== undefined && d.finalRouteId !== scope.routeId) return false;
  if (scope.tier !== undefined && d.finalTier !== scope.tier) return false;
  if (scope.model === undefined) return true;
  const final = d.attempts.findLast((a) => a.outcome === 'success' && a.routeId === d.finalRouteId);
  return final?.model === scope.model;
}

/**
 * Adds what one decision contributes to a series narrowed by `scope` into the bucket `take()` returns; returns false,
 * without taking a bucket, when the decision is outside the scope.
 *
 * Class and tenant scopes count whole requests (latency = the request's total). Route, model and tier scopes count a
 * request once if it called there or was answered there, a success only if it was answered there, and latency, tokens
 * and cost per call. Calls are attempts that went out (not skipped); `HEALTH_FAILURES` counts only failure kinds that
 * say something about the route (`FAILURE_RULES[kind].health`), so a caller's bad request does not page anyone.
 */
export function addDecision(scope: AlertScope, d: Decision, take: () => Float64Array): boolean {
  if (scope.trafficClass !== undefined && d.trafficClass !== scope.trafficClass) return false;
  if (scope.tenantId !== undefined && d.tenantId !== scope.tenantId) return false;
  const callScoped = isCallScoped(scope);
  const calls = d.attempts.filter((a) => a.outcome !== 'skipped' && (!callScoped || callMatches(scope, a)));
  const success = callScoped ? answeredInScope(scope, d) : isAnswered(d);
  if (callScoped && calls.length === 0 && !success) return false;

  const b = take();
  bump(b, REQUESTS);
  if (success) bump(b, SUCCESSES);
  if (isFallback(d)) bump(b, FALLBACKS);
  for (const a of calls) {
    bump(b, CALLS);
    if (a.outcome !== 'failure') continue;
    const kind = a.failureKind ?? 'unknown';
    bumpError(b, kind);
    if (FAILURE_RULES[kind].health) bump(b, HEALTH_FAILURES);
  }
  if (callScoped) {
    for (const a of calls) {
      bumpLatency(b, a.latencyMs);
      bump(b, TOKENS_IN, a.inputTokens);
      bump(b, TOKENS_OUT, a.outputTokens);
      bump(b, COST_USD, a.costUsd);
    }
  } else {
    bumpLatency(b, d.totalLatencyMs);
    bump(b, TOKENS_IN, d.inputTokens);
    bump(b, TOKENS_OUT, d.outputTokens);
    bump(b, COST_USD, d.totalCostUsd);
  }
  return true;
}

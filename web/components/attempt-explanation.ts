import type { AttemptRecord, FailureKind } from '../../shared/contracts/decision.js';
import { tierLabel } from '../lib/format.js';

/** The attempt fields the explanation reads; GraphQL gives null where the record has no value. */
export interface ExplainableAttempt {
  routeId: string;
  tier: number;
  outcome: AttemptRecord['outcome'];
  retry: number;
  latencyMs: number;
  failureKind?: string | null;
  status?: number | null;
  skipReason?: string | null;
}

const SKIP_REASONS: Readonly<Record<NonNullable<AttemptRecord['skipReason']>, string>> = {
  circuit_open: 'breaker open',
  context_window: 'the prompt does not fit its context window',
  sensitive_quality: 'a sensitive request needs a higher-quality route',
  provider_limit: 'too many providers had already failed (hard stop)',
  budget_downgrade: 'the budget band allows only cheaper routes',
  rate_limited: 'the route is over its shared rate limit',
  disabled: 'switched off by an operator (feature flag)',
};

// Kinds the engine never retries on the same route (see FAILURE_RULES in shared/engine/failure-kinds.ts).
const NOT_RETRIED: ReadonlySet<string> = new Set<FailureKind>([
  'auth',
  'quota_exhausted',
  'not_found',
  'context_length',
  'schema_validation',
  'unsupported',
  'low_quality',
  'bad_request',
  'content_policy',
  'aborted',
  'unknown',
]);

// Kinds that stop the request: another route would fail the same way.
const NO_FALLBACK: ReadonlySet<string> = new Set<FailureKind>(['bad_request', 'content_policy', 'aborted']);

function describeFailure(attempt: ExplainableAttempt): string {
  const kind = attempt.failureKind ?? 'failure';
  if (kind === 'timeout') return `timeout after ${Math.round(attempt.latencyMs)} ms`;
  return attempt.status ? `${kind} (HTTP ${attempt.status})` : kind;
}

function describeNextStep(attempt: ExplainableAttempt, next: ExplainableAttempt | undefined): string {
  const kind = attempt.failureKind ?? '';
  if (!next) {
    return NO_FALLBACK.has(kind)
      ? 'another route would fail the same way, so the request stopped'
      : 'no further attempt';
  }
  if (next.routeId === attempt.routeId && next.tier === attempt.tier) return 'retried on the same route';
  const why = attempt.retry > 0 ? 'retries exhausted, ' : NOT_RETRIED.has(kind) ? 'not retried, ' : '';
  if (next.tier !== attempt.tier) return `${why}moved to ${tierLabel(next.tier)}`;
  return `${why}moved to ${next.routeId} in the same tier`;
}

/**
 * Why an attempt ended the way it did, in plain language, given the attempt after it (if any):
 * "rate_limited (HTTP 429) — retried on the same route", "skipped: breaker open".
 */
export function explainAttempt(attempt: ExplainableAttempt, next?: ExplainableAttempt): string {
  if (attempt.outcome === 'success') return attempt.retry > 0 ? `answered on retry ${attempt.retry}` : 'answered';
  if (attempt.outcome === 'skipped') {
    const reason = attempt.skipReason ?? '';
    return `skipped: ${reason in SKIP_REASONS ? SKIP_REASONS[reason as keyof typeof SKIP_REASONS] : reason || 'no reason recorded'}`;
  }
  return `${describeFailure(attempt)} — ${describeNextStep(attempt, next)}`;
}

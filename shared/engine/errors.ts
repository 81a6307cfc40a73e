import type { AttemptRecord } from '../contracts/decision.js';
import type { Failure } from './failure-kinds.js';

/** Stable codes: the GraphQL `extensions.code` and the OpenAI envelope's `code` come from these. */
export const ERROR_CODES = [
  'PROVIDER_ERROR',
  'CIRCUIT_OPEN',
  'QUOTA_EXHAUSTED',
  'BUDGET_BAND_BLOCKED',
  'DEADLINE_EXCEEDED',
  'DOWNGRADE_FORBIDDEN',
  'ALL_TIERS_FAILED',
  'REQUEST_REJECTED',
  'INVALID_POLICY',
  'DRILL_UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const BRAND = Symbol.for('backstop.error');

/** The one error vocabulary of Backstop. Check with `isBackstopError`, not `instanceof` (bundles may duplicate classes). */
export class BackstopError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackstopError';
  }
}

export function isBackstopError(e: unknown): e is BackstopError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** Thrown by a provider adapter when the upstream call failed; carries the classified failure. */
export class ProviderError extends BackstopError {
  constructor(readonly failure: Failure) {
    super('PROVIDER_ERROR', failure.message, { cause: failure.cause });
    this.name = 'ProviderError';
  }
}
export const isProviderError = (e: unknown): e is ProviderError => isBackstopError(e) && e.code === 'PROVIDER_ERROR';

/** Thrown when every route a request could use has its breaker open. */
export class CircuitOpenError extends BackstopError {
  constructor(
    readonly routeIds: string[],
    readonly decisionId: string,
    readonly attempts: AttemptRecord[],
  ) {
    super('CIRCUIT_OPEN', `every route is open-circuited: ${routeIds.join(', ')}`);
    this.name = 'CircuitOpenError';
  }
}

/** Thrown when a budget is used up: names the budget, never switches silently to a pricier model. */
export class BudgetExceededError extends BackstopError {
  constructor(
    readonly budget: 'monthly' | 'prepaid' | 'daily' | 'retry',
    readonly tenantId: string,
    readonly decisionId: string,
  ) {
    super('QUOTA_EXHAUSTED', `the ${budget} budget of tenant ${tenantId} is exhausted`);
    this.name = 'BudgetExceededError';
  }
}

/** Thrown when a budget band blocks this class (e.g. batch above 95% of the monthly budget). */
export class BudgetBandBlockedError extends BackstopError {
  constructor(
    readonly band: string,
    readonly trafficClass: string,
    readonly decisionId: string,
  ) {
    super('BUDGET_BAND_BLOCKED', `${trafficClass} traffic is paused while the monthly budget is in the ${band} band`);
    this.name = 'BudgetBandBlockedError';
  }
}

/** Thrown when the request's overall deadline passed before any tier answered. */
export class DeadlineExceededError extends BackstopError {
  constructor(
    readonly deadlineMs: number,
    readonly decisionId: string,
    readonly attempts: AttemptRecord[],
  ) {
    super('DEADLINE_EXCEEDED', `no answer within the request deadline of ${deadlineMs} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/** Thrown when a sensitive request could only have been answered by a lower-quality route or a stand-in answer. */
export class DowngradeForbiddenError extends BackstopError {
  constructor(
    readonly reason: string,
    readonly decisionId: string,
    readonly attempts: AttemptRecord[],
  ) {
    super('DOWNGRADE_FORBIDDEN', `sensitive request not downgraded: ${reason}`);
    this.name = 'DowngradeForbiddenError';
  }
}

/** Thrown when every tier failed (or a failure said stop). `lastFailure` is the one that ended it. */
export class AllTiersFailedError extends BackstopError {
  constructor(
    readonly decisionId: string,
    readonly attempts: AttemptRecord[],
    readonly lastFailure: Failure | undefined,
    message?: string,
  ) {
    super('ALL_TIERS_FAILED', message ?? `every tier failed${lastFailure ? ` (last: ${lastFailure.kind})` : ''}`, {
      cause: lastFailure?.cause,
    });
    this.name = 'AllTiersFailedError';
  }
}

/** Thrown when the request itself is unusable (a 400-class failure, content policy): no tier would help. */
export class RequestRejectedError extends BackstopError {
  constructor(
    readonly failure: Failure,
    readonly decisionId: string,
    readonly attempts: AttemptRecord[],
  ) {
    super('REQUEST_REJECTED', `request rejected (${failure.kind}): ${failure.message}`, { cause: failure.cause });
    this.name = 'RequestRejectedError';
  }
}

/** Thrown by `assertPolicy` with every issue, each naming its field path. */
export class InvalidPolicyError extends BackstopError {
  constructor(readonly issues: { path: string; message: string }[]) {
    super('INVALID_POLICY', `invalid policy: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidPolicyError';
  }
}

import type { TrafficClass } from './policy.js';
import type { BudgetBand } from './budget.js';
import type { DegradedReason } from './completion.js';

export const FAILURE_KINDS = [
  'timeout',
  'rate_limited',
  'server_error',
  'overloaded',
  'network',
  'stream_interrupted',
  'auth',
  'bad_request',
  'content_policy',
  'quota_exhausted',
  'context_length',
  'schema_validation',
  'unsupported',
  'not_found',
  'low_quality',
  'aborted',
  'unknown',
] as const;
/** The closed set every provider error, network error and bad answer folds into. */
export type FailureKind = (typeof FAILURE_KINDS)[number];

export type BreakerState = 'closed' | 'open' | 'half_open';

/** One try (or one skip) of one route. */
export interface AttemptRecord {
  index: number;
  tier: number;
  routeId: string;
  provider: string;
  model: string;
  outcome: 'success' | 'failure' | 'skipped';
  /** Why a route was skipped without a call; `disabled`: an operator switched the route or its tier off. */
  skipReason?:
    | 'circuit_open'
    | 'context_window'
    | 'sensitive_quality'
    | 'provider_limit'
    | 'budget_downgrade'
    | 'rate_limited'
    | 'disabled';
  failureKind?: FailureKind;
  /** Provider-side detail, never a secret: status and error code/type. */
  status?: number;
  providerCode?: string;
  /** Zero for the first try of a route, then 1, 2, ... for same-route retries. */
  retry: number;
  breakerState: BreakerState;
  startedAtMs: number;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export const DECISION_OUTCOMES = ['success', 'degraded', 'failed', 'queued', 'in_review'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** Everything Backstop decided for one request; the decision log stores one per request. */
export interface Decision {
  id: string;
  tenantId: string;
  userId?: string;
  appId?: string;
  featureId?: string;
  workflowId?: string;
  trafficClass: TrafficClass;
  policyVersion: number;
  sensitive: boolean;
  outcome: DecisionOutcome;
  /** The route the plan started with; `finalRouteId` is the one that answered (null if none did). */
  originalRouteId: string | null;
  finalRouteId: string | null;
  finalTier: number | null;
  degraded: boolean;
  degradedReasons: DegradedReason[];
  /** Stable error code when the request failed (e.g. ALL_TIERS_FAILED). */
  errorCode?: string;
  budgetBand: BudgetBand;
  attempts: AttemptRecord[];
  startedAtMs: number;
  totalLatencyMs: number;
  totalCostUsd: number;
  inputTokens: number;
  outputTokens: number;
  jobId?: string;
  /** Set while a canary ran for the request's scope and class: the canary, and the arm that served the request. */
  canaryId?: string;
  canaryArm?: CanaryArm;
}

/** `canary`: the candidate policy served the request; `baseline`: the live one did, inside the canary's scope. */
export type CanaryArm = 'canary' | 'baseline';

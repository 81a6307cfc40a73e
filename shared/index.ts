// The engine's public surface: the one barrel file (STYLE.md). Server and console import from here.
export * from './contracts/alert.js';
export * from './contracts/budget.js';
export * from './contracts/completion.js';
export * from './contracts/decision.js';
export * from './contracts/fault-profile.js';
export * from './contracts/policy.js';
export * from './contracts/route.js';

export {
  createFallbackEngine,
  type CompleteInput,
  type FallbackEngine,
  type FallbackEngineOptions,
} from './engine/fallback-engine.js';
export type { EngineStreamEvent, StreamFailoverMode } from './engine/stream-session.js';
export * from './engine/errors.js';
export {
  classifyFailure,
  readRetryAfter,
  FAILURE_RULES,
  ruleFor,
  type Failure,
  type FailureRule,
} from './engine/failure-kinds.js';
export {
  DEFAULT_POLICY,
  DEFAULT_TIER_TIMEOUTS_MS,
  assertPolicy,
  createDefaultPolicy,
  createRouteCatalog,
  resolveClassPolicy,
  validatePolicy,
  type PolicyIssue,
} from './engine/policy-matrix.js';
export { DEFAULT_ROUTES } from './engine/default-routes.js';
export { diffJson, type JsonChange } from './engine/policy-diff.js';
export { budgetBand, classAccess } from './engine/budget-guard.js';
export { costUsd, estimateCostUsd, estimateTokens } from './engine/pricing.js';
export type { BreakerOptions, BreakerStats, CircuitBreakers } from './engine/circuit-breaker.js';
export type { EngineEvents, BreakEvent, BudgetDeniedEvent, FallbackEvent } from './engine/events.js';
export type * from './engine/ports.js';
export { createMemoryBreakerStore } from './engine/memory-breaker-store.js';
export { createMemoryBudgetStore } from './engine/memory-budget-store.js';
export { createMemoryResponseCache } from './engine/memory-response-cache.js';
export {
  createLiveAggregates,
  scopeForSubject,
  MAX_WINDOW_MS,
  MONITOR_WINDOWS_MS,
  type AggregateRow,
  type AggregateSnapshot,
  type LiveAggregates,
  type LiveAggregatesOptions,
  type MetricReading,
} from './monitoring/live-aggregates.js';
export {
  alertMessage,
  createAlertEvaluator,
  type AlertEpisodeState,
  type AlertEvaluator,
  type AlertEvaluatorOptions,
  type AlertEvaluatorState,
  type AlertReading,
  type FiringAlert,
} from './monitoring/alert-evaluator.js';
export {
  DEFAULT_P95_THRESHOLD_MS,
  ROUTE_SLO_RULE_ID,
  defaultAlertRules,
  routeSloThreshold,
} from './monitoring/default-rules.js';

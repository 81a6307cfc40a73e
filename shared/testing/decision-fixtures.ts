import type { AttemptRecord, Decision } from '../contracts/decision.js';

/** A successful first attempt on gpt-4o (400 ms, 10 in / 20 out tokens, 0.001 USD); override what a test cares about. */
export const attemptRecord = (over: Partial<AttemptRecord> = {}): AttemptRecord => ({
  index: 0,
  tier: 0,
  routeId: 'gpt-4o',
  provider: 'openai',
  model: 'gpt-4o',
  outcome: 'success',
  retry: 0,
  breakerState: 'closed',
  startedAtMs: 0,
  latencyMs: 400,
  inputTokens: 10,
  outputTokens: 20,
  costUsd: 0.001,
  ...over,
});

/** Decision `dec-1` of tenant acme, critical class, answered by one `attemptRecord()`; override what a test cares about. */
export const decision = (over: Partial<Decision> = {}): Decision => ({
  id: 'dec-1',
  tenantId: 'acme',
  trafficClass: 'critical',
  policyVersion: 1,
  sensitive: false,
  outcome: 'success',
  originalRouteId: 'gpt-4o',
  finalRouteId: 'gpt-4o',
  finalTier: 0,
  degraded: false,
  degradedReasons: [],
  budgetBand: 'normal',
  attempts: [attemptRecord()],
  startedAtMs: 0,
  totalLatencyMs: 400,
  totalCostUsd: 0.001,
  inputTokens: 10,
  outputTokens: 20,
  ...over,
});

import type { CompletionResult } from '../contracts/completion.js';
import type { Decision } from '../contracts/decision.js';

/** What differs between stand-in results: a cached or default answer, a queued job, a human's answer. */
export type StandInFields = Pick<
  CompletionResult,
  'status' | 'content' | 'source' | 'routeId' | 'tier' | 'uncertain' | 'attempts' | 'policyVersion'
> &
  Partial<Pick<CompletionResult, 'toolCalls' | 'jobId'>>;

/**
 * The result of a request no model answered just now (degraded: cache, default answer, queue, pause, review, or a
 * reviewer's answer later): no provider, no token usage; cost, latency and reasons come from its decision.
 */
export function standInResult(decision: Decision, fields: StandInFields): CompletionResult {
  const { toolCalls = [], jobId, ...rest } = fields;
  return {
    ...rest,
    toolCalls,
    finishReason: 'stop',
    provider: null,
    model: null,
    degraded: true,
    degradedReasons: decision.degradedReasons,
    usage: { inputTokens: 0, outputTokens: 0 },
    costUsd: decision.totalCostUsd,
    latencyMs: decision.totalLatencyMs,
    decisionId: decision.id,
    ...(jobId !== undefined && { jobId }),
  };
}

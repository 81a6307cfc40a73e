import type { attempts, decisionRollups, decisions } from '../../drizzle/schema/index.js';
import type { Decision } from '../../shared/contracts/decision.js';
import { LATENCY_BOUNDS_MS, latencySlot } from '../../shared/engine/circuit-breaker.js';
import type { DecisionExtra } from './decision-writer.js';
import type { ColumnRecord } from './recordset-insert.js';

// How one buffered decision becomes rows of the decision log: its decision row, its attempt rows, and its share of
// the per-minute rollups.

/** A decision as the writer buffers it, with what the privacy layer added. */
export interface DecisionEntry {
  decision: Decision;
  extra: DecisionExtra | undefined;
}

type RollupRow = typeof decisionRollups.$inferInsert;

const MINUTE_MS = 60_000;

/** Thrown for a decision that can never be written (a non-finite timestamp), so it is dropped instead of retried. */
export class UnwritableDecisionError extends Error {}

/**
 * The rollup a decision counts in. A request no route answered is filed under route '-', with the model and tier it
 * last tried (so success rates per model mean something), or '-' and -1 when it called none.
 */
function rollupKey(d: Decision) {
  let answered: Decision['attempts'][number] | undefined;
  let last: Decision['attempts'][number] | undefined;
  for (const a of d.attempts) {
    if (a.outcome === 'skipped') continue;
    last = a;
    if (a.outcome === 'success' && a.routeId === d.finalRouteId) answered = a;
  }
  const tried = answered ?? last;
  return {
    bucketStartMs: Math.floor(d.startedAtMs / MINUTE_MS) * MINUTE_MS,
    tenantId: d.tenantId,
    trafficClass: d.trafficClass,
    routeId: d.finalRouteId ?? '-',
    model: tried?.model ?? '-',
    tier: d.finalTier ?? tried?.tier ?? -1,
  };
}

/** Sums a batch into rollup rows, sorted by key so that concurrent writers lock rows in the same order. */
export function rollups(batch: readonly Decision[]): RollupRow[] {
  const rows = new Map<string, RollupRow & { latencyCounts: number[] }>();
  for (const d of batch) {
    const { bucketStartMs, ...key } = rollupKey(d);
    const id = JSON.stringify([bucketStartMs, key.tenantId, key.trafficClass, key.routeId, key.model, key.tier]);
    let row = rows.get(id);
    if (!row) {
      const latencyCounts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
      const zeros = { requests: 0, successes: 0, fallbacks: 0, degraded: 0, costUsd: 0 };
      row = { ...key, bucketStart: new Date(bucketStartMs), ...zeros, latencyCounts };
      rows.set(id, row);
    }
    row.requests += 1;
    if (d.outcome === 'success' || d.outcome === 'degraded') row.successes += 1;
    const switched = d.finalRouteId !== null && d.finalRouteId !== d.originalRouteId;
    if (switched || d.degradedReasons.includes('fallback')) row.fallbacks += 1;
    if (d.degraded) row.degraded += 1;
    row.costUsd += d.totalCostUsd;
    row.latencyCounts[latencySlot(d.totalLatencyMs)]! += 1;
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

// Timestamps as ISO text, what a timestamptz column reads from JSON; integer columns get whole milliseconds (a fake or
// high-resolution clock may hand over fractions).
export function decisionRecord({ decision: d, extra }: DecisionEntry): ColumnRecord<typeof decisions> {
  if (!Number.isFinite(d.startedAtMs) || d.attempts.some((a) => !Number.isFinite(a.startedAtMs))) {
    throw new UnwritableDecisionError(`decision has a non-finite timestamp (decisionId=${d.id})`);
  }
  return {
    id: d.id,
    tenant_id: d.tenantId,
    traffic_class: d.trafficClass,
    policy_version: d.policyVersion,
    outcome: d.outcome,
    sensitive: d.sensitive,
    original_route_id: d.originalRouteId,
    final_route_id: d.finalRouteId,
    final_tier: d.finalTier,
    degraded: d.degraded,
    degraded_reasons: d.degradedReasons,
    error_code: d.errorCode,
    budget_band: d.budgetBand,
    total_latency_ms: Math.round(d.totalLatencyMs),
    total_cost_usd: d.totalCostUsd,
    input_tokens: d.inputTokens,
    output_tokens: d.outputTokens,
    attempt_count: d.attempts.length,
    user_id: d.userId,
    app_id: d.appId,
    feature_id: d.featureId,
    workflow_id: d.workflowId,
    job_id: d.jobId,
    canary_id: d.canaryId,
    canary_arm: d.canaryArm,
    prompt_hash: extra?.promptHash,
    prompt_chars: extra?.promptChars,
    content: extra?.content,
    started_at: new Date(d.startedAtMs).toISOString(),
  };
}

export const attemptRecords = (d: Decision): ColumnRecord<typeof attempts>[] =>
  d.attempts.map((a) => ({
    decision_id: d.id,
    index: a.index,
    tier: a.tier,
    route_id: a.routeId,
    provider: a.provider,
    model: a.model,
    outcome: a.outcome,
    skip_reason: a.skipReason,
    failure_kind: a.failureKind,
    status: a.status,
    provider_code: a.providerCode,
    retry: a.retry,
    breaker_state: a.breakerState,
    started_at: new Date(a.startedAtMs).toISOString(),
    latency_ms: Math.round(a.latencyMs),
    input_tokens: a.inputTokens,
    output_tokens: a.outputTokens,
    cost_usd: a.costUsd,
  }));

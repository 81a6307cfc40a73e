import type { Decision, DecisionOutcome } from '../../shared/contracts/decision.js';
import type { TrafficClass } from '../../shared/contracts/policy.js';
import { isFallback } from '../../shared/monitoring/decision-share.js';

/** One recorded decision as the live console shows it: the summary fields only, no attempts and no content. */
export interface DecisionEvent {
  id: string;
  tenantId: string;
  trafficClass: TrafficClass;
  outcome: DecisionOutcome;
  finalRouteId: string | null;
  finalTier: number | null;
  /** In USD. */
  totalCostUsd: number;
  /** In whole milliseconds. */
  totalLatencyMs: number;
  /** Epoch milliseconds. */
  startedAtMs: number;
  degraded: boolean;
  /** Answered past the primary tier, as the live aggregates count it (`isFallback`). */
  fallback: boolean;
}

/** The event published on `decision:recorded` for one decision; built from the decision alone (no I/O). */
export function toDecisionEvent(d: Decision): DecisionEvent {
  return {
    id: d.id,
    tenantId: d.tenantId,
    trafficClass: d.trafficClass,
    outcome: d.outcome,
    finalRouteId: d.finalRouteId,
    finalTier: d.finalTier,
    totalCostUsd: d.totalCostUsd,
    // As the decision log stores it: GraphQL's Int refuses a fractional clock reading.
    totalLatencyMs: Math.round(d.totalLatencyMs),
    startedAtMs: d.startedAtMs,
    degraded: d.degraded,
    fallback: isFallback(d),
  };
}

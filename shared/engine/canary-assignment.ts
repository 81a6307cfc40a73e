import type { CanaryStickyBy } from '../contracts/canary.js';
import type { CompletionRequest } from '../contracts/completion.js';
import type { CanaryArm } from '../contracts/decision.js';
import type { RoutingRule, TrafficClass } from '../contracts/policy.js';
import { keyedRandom } from './keyed-random.js';
import { applyRules } from './routing.js';

/** What assignment needs of a running canary. */
export interface CanarySplit {
  id: string;
  /** Share of keyed requests on the candidate, in percent (0 < percent <= 100). */
  percent: number;
  stickyBy: CanaryStickyBy;
  /** Null: every traffic class of the scope. */
  trafficClass: TrafficClass | null;
}

/** Buckets a sticky key falls into; a percent maps to `percent * 100` of them, so 0.01 % steps are exact. */
export const CANARY_BUCKETS = 10_000;

/**
 * The sticky key of a request: its user for `user`; for `conversation`, `metadata.conversation_id`, else the
 * workflow, else the user. Undefined when the request names none.
 */
export function stickyKey(stickyBy: CanaryStickyBy, request: CompletionRequest): string | undefined {
  if (stickyBy === 'user') return request.userId || undefined;
  return request.metadata.conversation_id || request.workflowId || request.userId || undefined;
}

/** The bucket (0 .. CANARY_BUCKETS - 1) of a key under one canary: a hash, so the same pair always lands alike. */
export function canaryBucket(canaryId: string, key: string): number {
  return Math.floor(keyedRandom(`${canaryId}:${key}`)() * CANARY_BUCKETS);
}

/**
 * The arm a request runs on, or undefined when the canary does not apply to it (another traffic class, resolved
 * with the live policy's `rules`). A request without a sticky key stays on the baseline, so unidentified traffic
 * never flips; a keyed one always gets the same arm for the same canary, whichever instance serves it.
 * @example canaryArm({ id, percent: 10, stickyBy: 'user', trafficClass: null }, request, policy.rules) // 'baseline'
 */
export function canaryArm(
  canary: CanarySplit,
  request: CompletionRequest,
  rules: RoutingRule[],
): CanaryArm | undefined {
  if (canary.trafficClass !== null && applyRules(rules, request).trafficClass !== canary.trafficClass) {
    return undefined;
  }
  const key = stickyKey(canary.stickyBy, request);
  if (key === undefined) return 'baseline';
  return canaryBucket(canary.id, key) < canary.percent * (CANARY_BUCKETS / 100) ? 'canary' : 'baseline';
}

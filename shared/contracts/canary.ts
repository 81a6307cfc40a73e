import { z } from 'zod';
import { TrafficClassSchema, type TrafficClass } from './policy.js';

export const CANARY_STICKY_BY = ['user', 'conversation'] as const;
/** What keeps a request on its arm: the user id, or the conversation (metadata.conversation_id, else workflowId). */
export type CanaryStickyBy = (typeof CANARY_STICKY_BY)[number];

export const CANARY_STATUSES = ['running', 'promoted', 'rolled_back'] as const;
export type CanaryStatus = (typeof CANARY_STATUSES)[number];

const rate = z.number().min(0, 'a rate is 0 to 1').max(1, 'a rate is 0 to 1');

/**
 * What `startCanary` takes. `scope` is `global` or a tenant id, as for policy versions; `percent` is the share of
 * keyed requests on the candidate. Null thresholds do not apply; `minRequests` canary-arm requests must be seen
 * before any may trigger the automatic rollback.
 */
export const StartCanaryInputSchema = z.strictObject({
  scope: z.string().trim().min(1, 'name a scope: global or a tenant id'),
  trafficClass: TrafficClassSchema.nullish(),
  percent: z.number().gt(0, 'more than 0 percent').max(100, 'at most 100 percent'),
  stickyBy: z.enum(CANARY_STICKY_BY).default('user'),
  /** The candidate policy document (a draft: its `version` is assigned). */
  document: z.record(z.string(), z.unknown(), 'a policy is a JSON object'),
  note: z.string().max(500, 'at most 500 characters').nullish(),
  maxErrorRate: rate.nullish(),
  maxFallbackRate: rate.nullish(),
  maxP95Ms: z.number().int().positive('a latency above 0 ms').nullish(),
  minRequests: z.number().int().min(1, 'at least 1').max(1_000_000).default(50),
});
export type StartCanaryInput = z.infer<typeof StartCanaryInputSchema>;

/** The limits whose crossing rolls a canary back on its own; null ones do not apply. */
export interface CanaryThresholds {
  maxErrorRate: number | null;
  maxFallbackRate: number | null;
  maxP95Ms: number | null;
  minRequests: number;
}

/** One canary, running or ended. Times in epoch milliseconds. */
export interface Canary extends CanaryThresholds {
  id: string;
  scope: string;
  trafficClass: TrafficClass | null;
  candidateId: string;
  candidateVersion: number;
  baselineVersion: number;
  percent: number;
  stickyBy: CanaryStickyBy;
  status: CanaryStatus;
  endedReason: string | null;
  startedBy: string;
  startedAtMs: number;
  /** The API key id that ended it, or `system` for an automatic rollback. */
  endedBy: string | null;
  endedAtMs: number | null;
}

/** What one arm's requests came to. Rates are fractions (0..1); latency in milliseconds; null with no requests. */
export interface CanaryArmStats {
  requests: number;
  successRate: number | null;
  /** Requests that ended `failed`. */
  errorRate: number | null;
  /** Requests answered by a later tier than the primary. */
  fallbackRate: number | null;
  avgCostUsd: number | null;
  totalCostUsd: number;
  p95LatencyMs: number | null;
}

export interface CanaryComparison {
  canary: CanaryArmStats;
  baseline: CanaryArmStats;
}

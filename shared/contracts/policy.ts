import { z } from 'zod';

export const TRAFFIC_CLASSES = ['critical', 'non_critical', 'internal', 'batch', 'experiment'] as const;
export const TrafficClassSchema = z.enum(TRAFFIC_CLASSES);
export type TrafficClass = z.infer<typeof TrafficClassSchema>;

export const ROUTING_STRATEGIES = ['ordered', 'weighted', 'lowest_latency', 'lowest_cost'] as const;
export const RoutingStrategySchema = z.enum(ROUTING_STRATEGIES);
export type RoutingStrategy = z.infer<typeof RoutingStrategySchema>;

/**
 * What a tier does instead of calling a model: serve an exact cached answer, a configured default answer,
 * enqueue for a later retry, pause (batch: resume later), hand to a human, or fail fast.
 */
export const DEGRADATION_MODES = ['cache', 'default_response', 'queue', 'pause', 'human_review', 'fail_fast'] as const;
export const DegradationModeSchema = z.enum(DEGRADATION_MODES);
export type DegradationMode = z.infer<typeof DegradationModeSchema>;

const timeoutMs = z.number().int().positive().max(600_000);

export const RouteTierSchema = z.object({
  kind: z.literal('routes'),
  name: z.string().min(1).optional(),
  routes: z.array(z.string().min(1)).min(1, 'a tier needs at least one route'),
  strategy: RoutingStrategySchema.default('ordered'),
  /** Per-attempt timeout for this tier, in milliseconds. Defaults by position: 20 000, 12 000, 8 000. */
  timeoutMs: timeoutMs.optional(),
  /** Answers from this tier are flagged uncertain (e.g. a budget model standing in for a premium one). */
  flagUncertain: z.boolean().default(false),
});
export type RouteTier = z.infer<typeof RouteTierSchema>;

export const DegradeTierSchema = z.object({
  kind: z.literal('degrade'),
  name: z.string().min(1).optional(),
  /** Tried in order; the first that produces a result ends the request. */
  modes: z.array(DegradationModeSchema).min(1, 'a degrade tier needs at least one mode'),
  /** Text served by `default_response`. */
  defaultResponse: z.string().optional(),
});
export type DegradeTier = z.infer<typeof DegradeTierSchema>;

export const TierSchema = z.discriminatedUnion('kind', [RouteTierSchema, DegradeTierSchema]);
export type Tier = z.infer<typeof TierSchema>;

/** When a class stops trying. Every condition set is enforced; unset ones do not apply. */
export const HardStopSchema = z.object({
  /** Stop before trying a further provider once this many distinct providers have failed this request. */
  maxProviderFailures: z.number().int().positive().optional(),
  /** Which budget's exhaustion ends the request with a quota error (the monthly cap always does). */
  budget: z.enum(['monthly', 'daily', 'retry']).optional(),
  /** No fallback at all: the first failure is final. */
  immediate: z.boolean().optional(),
});
export type HardStop = z.infer<typeof HardStopSchema>;

export const RetryPolicySchema = z.object({
  /** Same-route retries for retryable failures. Defaults to 1. */
  maxRetriesPerRoute: z.number().int().min(0).max(10).default(1),
  /** Retries across all routes of one tier. Defaults to 3. */
  maxRetriesPerTier: z.number().int().min(0).max(20).default(3),
  /** Total time spent sleeping between retries for one request, in milliseconds. Defaults to 60 000. */
  maxRetryTimeMs: z.number().int().min(0).max(600_000).default(60_000),
  /** First backoff delay, in milliseconds. Defaults to 200. */
  baseDelayMs: z.number().int().min(0).max(60_000).default(200),
  /** Backoff cap, in milliseconds. Defaults to 10 000. */
  maxDelayMs: z.number().int().min(0).max(600_000).default(10_000),
  /** A wait longer than this, when another tier can take over, is skipped in favour of that tier. In milliseconds. Defaults to 2 000. */
  skipToFallbackAboveMs: z.number().int().min(0).max(600_000).default(2_000),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const ClassPolicySchema = z.object({
  tiers: z.array(TierSchema).min(1, 'a class needs at least one tier').max(8, 'at most 8 tiers (fallback depth cap)'),
  hardStop: HardStopSchema.default({}),
  retry: RetryPolicySchema.default(RetryPolicySchema.parse({})),
  /** Overall deadline for one request, in milliseconds. Defaults to 60 000. */
  deadlineMs: timeoutMs.default(60_000),
  /** Requests of this class are sensitive: no fallback to a lower quality class. */
  sensitive: z.boolean().default(false),
  /** Output guards that turn a bad answer into a `low_quality` failure. */
  quality: z
    .object({
      nonEmpty: z.boolean().default(true),
      rejectTruncated: z.boolean().default(true),
      rejectRefusal: z.boolean().default(true),
      /** Minimum mean token probability (0..1) when the provider returns logprobs. */
      minConfidence: z.number().min(0).max(1).optional(),
    })
    .default({ nonEmpty: true, rejectTruncated: true, rejectRefusal: true }),
});
export type ClassPolicy = z.infer<typeof ClassPolicySchema>;
export type ClassPolicyInput = z.input<typeof ClassPolicySchema>;

/** Budget bands as fractions of the monthly limit. */
export const BudgetBandsSchema = z
  .object({
    /** Non-critical traffic moves to cheaper routes. Defaults to 0.70. */
    downgrade: z.number().min(0).max(1).default(0.7),
    /** All but critical traffic moves to cheaper routes. Defaults to 0.80. */
    conserve: z.number().min(0).max(1).default(0.8),
    /** Batch and experiments are blocked; only critical traffic runs at full quality. Defaults to 0.95. */
    criticalOnly: z.number().min(0).max(1).default(0.95),
  })
  .refine((b) => b.downgrade <= b.conserve && b.conserve <= b.criticalOnly, {
    message: 'budget bands must be ordered: downgrade <= conserve <= criticalOnly',
  });
export type BudgetBands = z.infer<typeof BudgetBandsSchema>;

/** Request-based specialization: the first rule whose conditions all match picks the class and/or pins a route. */
export const RoutingRuleSchema = z
  .object({
    when: z.object({
      tags: z.array(z.string()).optional(),
      feature: z.string().optional(),
      metadata: z.record(z.string(), z.string()).optional(),
    }),
    then: z.object({ trafficClass: TrafficClassSchema.optional(), route: z.string().optional() }),
  })
  .refine((r) => r.then.trafficClass !== undefined || r.then.route !== undefined, {
    message: 'a rule must set trafficClass or route',
    path: ['then'],
  });
export type RoutingRule = z.infer<typeof RoutingRuleSchema>;

// Built field by field: `.partial()` would still fill the inner defaults and silently reset what an override omits.
const ClassOverrideSchema = z.object({
  tiers: ClassPolicySchema.shape.tiers.optional(),
  hardStop: HardStopSchema.optional(),
  retry: RetryPolicySchema.optional(),
  deadlineMs: timeoutMs.optional(),
  sensitive: z.boolean().optional(),
  quality: ClassPolicySchema.shape.quality.unwrap().optional(),
});
export type ClassOverride = z.infer<typeof ClassOverrideSchema>;
const ClassOverridesSchema = z.partialRecord(TrafficClassSchema, ClassOverrideSchema);

export const PolicySchema = z.object({
  version: z.number().int().positive(),
  classes: z.object({
    critical: ClassPolicySchema,
    non_critical: ClassPolicySchema,
    internal: ClassPolicySchema,
    batch: ClassPolicySchema,
    experiment: ClassPolicySchema,
  }),
  budgetBands: BudgetBandsSchema.default({ downgrade: 0.7, conserve: 0.8, criticalOnly: 0.95 }),
  rules: z.array(RoutingRuleSchema).default([]),
  /** Per-tenant overrides of whole class fields, keyed by tenant id. */
  tenantOverrides: z.record(z.string(), ClassOverridesSchema).default({}),
  /** Per-feature overrides, keyed by feature id; applied after tenant overrides. */
  featureOverrides: z.record(z.string(), ClassOverridesSchema).default({}),
  /** Features whose requests are always sensitive (legal, medical, financial, code execution, write-capable agents). */
  sensitiveFeatures: z.array(z.string()).default([]),
});
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

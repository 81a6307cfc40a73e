import { z } from 'zod';
import { TrafficClassSchema } from './policy.js';

/** What a rule watches. Rates are fractions (0..1); latency in milliseconds. */
export const ALERT_METRICS = [
  'error_rate',
  'success_rate',
  'fallback_rate',
  'p95_latency_ms',
  'budget_used_fraction',
  'breaker_open',
  'synthetic_failures',
  'redis_unreachable',
] as const;
export const AlertMetricSchema = z.enum(ALERT_METRICS);
export type AlertMetric = z.infer<typeof AlertMetricSchema>;

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** Narrows a rule to part of the traffic; an empty scope means "any", evaluated per route for route metrics. */
export const AlertScopeSchema = z.object({
  routeId: z.string().optional(),
  model: z.string().optional(),
  trafficClass: TrafficClassSchema.optional(),
  tenantId: z.string().optional(),
  /** Only attempts/decisions answered by this tier (0 = primary). */
  tier: z.number().int().min(0).optional(),
});
export type AlertScope = z.infer<typeof AlertScopeSchema>;

export const AlertRuleSchema = z.object({
  id: z.string().min(1),
  /** Null for global rules. */
  tenantId: z.string().nullable().default(null),
  name: z.string().min(1).max(200),
  metric: AlertMetricSchema,
  scope: AlertScopeSchema.default({}),
  /** Rolling window the metric is read over, in milliseconds: 60 000, 300 000 or 3 600 000. */
  windowMs: z.union([z.literal(60_000), z.literal(300_000), z.literal(3_600_000)]).default(300_000),
  comparator: z.enum(['gt', 'lt']),
  threshold: z.number(),
  /** Samples needed in the window before the rule may fire. */
  minSample: z.number().int().min(0).default(20),
  /** Quiet time after a resolve before the rule may fire again, in milliseconds. */
  cooldownMs: z.number().int().min(0).default(300_000),
  severity: SeveritySchema.default('warning'),
  enabled: z.boolean().default(true),
});
export type AlertRule = z.infer<typeof AlertRuleSchema>;
export type AlertRuleInput = z.input<typeof AlertRuleSchema>;

/** One transition of one rule for one subject (e.g. a route): fired once per episode, then resolved. */
export interface AlertEvent {
  id: string;
  ruleId: string;
  ruleName: string;
  tenantId: string | null;
  severity: Severity;
  state: 'fired' | 'resolved';
  metric: AlertMetric;
  /** What the event is about, e.g. `route:gpt-4o` or `tenant:acme`. */
  subject: string;
  value: number;
  threshold: number;
  message: string;
  atMs: number;
}

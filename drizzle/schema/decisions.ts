import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const usd = (name: string) => numeric(name, { precision: 18, scale: 9, mode: 'number' });

/** One row per request. Prompt and answer text only when the tenant opted in, and then redacted. */
export const decisions = pgTable(
  'decisions',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    trafficClass: text('traffic_class').notNull(),
    policyVersion: integer('policy_version').notNull(),
    outcome: text('outcome').notNull(),
    sensitive: boolean('sensitive').notNull(),
    originalRouteId: text('original_route_id'),
    finalRouteId: text('final_route_id'),
    finalTier: integer('final_tier'),
    degraded: boolean('degraded').notNull(),
    degradedReasons: text('degraded_reasons').array().notNull(),
    errorCode: text('error_code'),
    budgetBand: text('budget_band').notNull(),
    totalLatencyMs: integer('total_latency_ms').notNull(),
    totalCostUsd: usd('total_cost_usd').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    attemptCount: integer('attempt_count').notNull(),
    userId: text('user_id'),
    appId: text('app_id'),
    featureId: text('feature_id'),
    workflowId: text('workflow_id'),
    jobId: text('job_id'),
    /** Set while a canary ran for the request's scope: which canary, and which arm ('canary' or 'baseline') served it. */
    canaryId: text('canary_id'),
    canaryArm: text('canary_arm'),
    /** SHA-256 of the prompt, and its size: enough to correlate without keeping the text. */
    promptHash: text('prompt_hash'),
    promptChars: integer('prompt_chars'),
    /** Redacted prompt/answer, only for tenants with content logging on. */
    content: jsonb('content'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('decisions_tenant_time_idx').on(t.tenantId, t.startedAt),
    index('decisions_time_idx').on(t.startedAt),
    index('decisions_tenant_class_time_idx').on(t.tenantId, t.trafficClass, t.startedAt),
    index('decisions_canary_idx')
      .on(t.canaryId, t.canaryArm)
      .where(sql`${t.canaryId} is not null`),
  ],
);

export const attempts = pgTable(
  'attempts',
  {
    decisionId: text('decision_id').notNull(),
    index: integer('index').notNull(),
    tier: integer('tier').notNull(),
    routeId: text('route_id').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    outcome: text('outcome').notNull(),
    skipReason: text('skip_reason'),
    failureKind: text('failure_kind'),
    status: integer('status'),
    providerCode: text('provider_code'),
    retry: integer('retry').notNull(),
    breakerState: text('breaker_state').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    latencyMs: integer('latency_ms').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    costUsd: usd('cost_usd').notNull(),
  },
  (t) => [primaryKey({ columns: [t.decisionId, t.index] })],
);

/**
 * Per-minute rollups written with each decision batch, so charts read thousands of rows, not millions.
 * `latencyCounts` is a fixed-bucket histogram (the breaker's bounds) for p50/p95.
 */
export const decisionRollups = pgTable(
  'decision_rollups',
  {
    bucketStart: timestamp('bucket_start', { withTimezone: true }).notNull(),
    tenantId: text('tenant_id').notNull(),
    trafficClass: text('traffic_class').notNull(),
    routeId: text('route_id').notNull(),
    model: text('model').notNull(),
    tier: integer('tier').notNull(),
    requests: bigint('requests', { mode: 'number' }).notNull(),
    successes: bigint('successes', { mode: 'number' }).notNull(),
    fallbacks: bigint('fallbacks', { mode: 'number' }).notNull(),
    degraded: bigint('degraded', { mode: 'number' }).notNull(),
    costUsd: usd('cost_usd').notNull(),
    latencyCounts: jsonb('latency_counts').$type<number[]>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.bucketStart, t.tenantId, t.trafficClass, t.routeId, t.model, t.tier] }),
    index('decision_rollups_time_idx').on(t.bucketStart),
  ],
);

/** Idempotency keys: a retried `complete` with the same key returns the stored result instead of calling again. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: text('tenant_id').notNull(),
    key: text('key').notNull(),
    decisionId: text('decision_id').notNull(),
    result: jsonb('result').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

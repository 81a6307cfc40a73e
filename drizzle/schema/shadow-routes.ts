import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, numeric, pgTable, real, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const usd = (name: string) => numeric(name, { precision: 18, scale: 9, mode: 'number' });

/**
 * A candidate route that receives a sampled copy of a scope's requests after they are served. Its answers are never
 * returned; its spend is charged to this row's own budget (`budget_usd`), never to the tenant's. Sensitive requests
 * are never mirrored.
 */
export const shadowRoutes = pgTable(
  'shadow_routes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** 'global' or a tenant id. */
    scope: text('scope').notNull(),
    /** Null: every traffic class of the scope. */
    trafficClass: text('traffic_class'),
    routeId: text('route_id').notNull(),
    /** Share of eligible requests mirrored, 0 < rate <= 1. */
    sampleRate: real('sample_rate').notNull(),
    /** Per-call timeout of the mirrored call, in milliseconds. */
    timeoutMs: integer('timeout_ms').notNull(),
    /** The shadow budget: mirrored calls stop once spent + reserved would pass it. */
    budgetUsd: usd('budget_usd').notNull(),
    spentUsd: usd('spent_usd').notNull().default(0),
    reservedUsd: usd('reserved_usd').notNull().default(0),
    status: text('status', { enum: ['running', 'stopped'] })
      .notNull()
      .default('running'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
  },
  (t) => [
    index('shadow_routes_scope_idx').on(t.scope),
    check('shadow_routes_sample_rate', sql`${t.sampleRate} > 0 and ${t.sampleRate} <= 1`),
    check('shadow_routes_budget', sql`${t.spentUsd} >= 0 and ${t.reservedUsd} >= 0 and ${t.budgetUsd} >= 0`),
  ],
);

/** One mirrored call next to the request it copied: latency, outcome, cost and JSON-schema pass of both. */
export const shadowResults = pgTable(
  'shadow_results',
  {
    shadowId: uuid('shadow_id').notNull(),
    decisionId: text('decision_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    trafficClass: text('traffic_class').notNull(),
    servingRouteId: text('serving_route_id'),
    servingOutcome: text('serving_outcome').notNull(),
    servingLatencyMs: integer('serving_latency_ms').notNull(),
    servingCostUsd: usd('serving_cost_usd').notNull(),
    /** Null when the request had no response schema. */
    servingSchemaPass: boolean('serving_schema_pass'),
    /** 'success', 'failure' (see failure_kind) or 'skipped_budget' (no call: the shadow budget was spent). */
    shadowOutcome: text('shadow_outcome').notNull(),
    shadowFailureKind: text('shadow_failure_kind'),
    shadowLatencyMs: integer('shadow_latency_ms'),
    shadowCostUsd: usd('shadow_cost_usd').notNull().default(0),
    shadowSchemaPass: boolean('shadow_schema_pass'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('shadow_results_shadow_time_idx').on(t.shadowId, t.createdAt),
    index('shadow_results_tenant_idx').on(t.tenantId),
  ],
);

/**
 * One open hold on a shadow budget per mirrored call, so that a hold whose call never settled (the process died, or
 * the result could not be written) is found and released by a sweep instead of shrinking the budget for good.
 */
export const shadowHolds = pgTable(
  'shadow_holds',
  {
    /** `<decision id>:<shadow id>`. */
    id: text('id').primaryKey(),
    shadowId: uuid('shadow_id').notNull(),
    estUsd: usd('est_usd').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('shadow_holds_created_idx').on(t.createdAt)],
);

import { boolean, index, integer, jsonb, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Threshold alert rules (global when tenant_id is null). */
export const alertRules = pgTable('alert_rules', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id'),
  metric: text('metric').notNull(),
  scope: jsonb('scope').notNull().default({}),
  windowMs: integer('window_ms').notNull(),
  comparator: text('comparator', { enum: ['gt', 'lt'] }).notNull(),
  threshold: numeric('threshold', { mode: 'number' }).notNull(),
  minSample: integer('min_sample').notNull().default(0),
  cooldownMs: integer('cooldown_ms').notNull().default(0),
  severity: text('severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const alertEvents = pgTable(
  'alert_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ruleId: uuid('rule_id').notNull(),
    tenantId: text('tenant_id'),
    state: text('state', { enum: ['fired', 'resolved'] }).notNull(),
    value: numeric('value', { mode: 'number' }),
    message: text('message').notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('alert_events_time_idx').on(t.createdAt)],
);

/** Deferred work: retries, paused batch requests and human review items. */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    kind: text('kind', { enum: ['retry', 'resume', 'review'] }).notNull(),
    status: text('status', { enum: ['queued', 'running', 'done', 'failed', 'in_review'] }).notNull(),
    decisionId: text('decision_id').notNull(),
    request: jsonb('request').notNull(),
    reason: text('reason').notNull(),
    result: jsonb('result'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('jobs_tenant_status_idx').on(t.tenantId, t.status)],
);

export const reviewItems = pgTable('review_items', {
  id: uuid('id').primaryKey().defaultRandom(),
  jobId: text('job_id').notNull(),
  tenantId: text('tenant_id').notNull(),
  candidates: jsonb('candidates').notNull().default([]),
  answer: text('answer'),
  reviewedBy: text('reviewed_by'),
  reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

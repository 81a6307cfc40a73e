import { boolean, index, integer, jsonb, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Threshold alert rules (global when tenant_id is null). Deleting a rule stamps `deleted_at` rather than removing the
 * row, so the defaults seeded on a new install do not come back after an operator deletes them.
 */
export const alertRules = pgTable('alert_rules', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id'),
  name: text('name').notNull(),
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
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
});

/** Every fired and resolved transition of a rule for one subject (`route:<id>`, `tenant:<id>` or `all`). */
export const alertEvents = pgTable(
  'alert_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ruleId: text('rule_id').notNull(),
    ruleName: text('rule_name').notNull(),
    tenantId: text('tenant_id'),
    severity: text('severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
    state: text('state', { enum: ['fired', 'resolved'] }).notNull(),
    metric: text('metric').notNull(),
    subject: text('subject').notNull(),
    value: numeric('value', { mode: 'number' }),
    threshold: numeric('threshold', { mode: 'number' }).notNull(),
    message: text('message').notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    /** The API key id that acknowledged the event. */
    acknowledgedBy: text('acknowledged_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('alert_events_time_idx').on(t.createdAt),
    index('alert_events_tenant_time_idx').on(t.tenantId, t.createdAt),
  ],
);

/**
 * Deferred work: retries, paused batch requests and human review items. The id is the job id the client gets back
 * (a UUID, also the pg-boss job id). Status moves queued -> running -> done | failed (running -> queued again when a
 * retry still finds no route), or in_review -> done for a review; each move is one conditional UPDATE.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    kind: text('kind', { enum: ['retry', 'resume', 'review'] }).notNull(),
    status: text('status', { enum: ['queued', 'running', 'done', 'failed', 'in_review'] }).notNull(),
    /** The decision of the request that deferred it; later runs record their own decisions with this job id. */
    decisionId: text('decision_id').notNull(),
    /** The request to run again. Review jobs keep it without its messages: the prompt is in the review item. */
    request: jsonb('request').notNull(),
    reason: text('reason').notNull(),
    /** The CompletionResult once done. */
    result: jsonb('result'),
    /** Runs started by workers, including one cut short by a crash. */
    attempts: integer('attempts').notNull().default(0),
    /** Why a failed job failed: a stable code (QUOTA_EXHAUSTED, RETRIES_EXHAUSTED, ...) and a message. */
    errorCode: text('error_code'),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('jobs_tenant_status_idx').on(t.tenantId, t.status),
    index('jobs_status_created_idx').on(t.status, t.createdAt),
  ],
);

/**
 * One per review job: what the reviewer needs (the redacted prompt, the candidate answers) and what they decided.
 * The prompt is cleared once answered unless the tenant opted in to content logging.
 */
export const reviewItems = pgTable(
  'review_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    jobId: text('job_id').notNull().unique(),
    tenantId: text('tenant_id').notNull(),
    status: text('status', { enum: ['pending', 'answered'] })
      .notNull()
      .default('pending'),
    /** The prompt as `role: content` lines, redacted like opted-in content logging. */
    prompt: text('prompt'),
    /** `{ routeId, content, confidence }[]`: answers that failed a quality guard, or the escalated answer. */
    candidates: jsonb('candidates').notNull().default([]),
    answer: text('answer'),
    /** Which candidate was approved; null when the reviewer wrote the answer. */
    candidateIndex: integer('candidate_index'),
    /** The API key id of the reviewer. */
    reviewedBy: text('reviewed_by'),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('review_items_status_created_idx').on(t.status, t.createdAt),
    index('review_items_tenant_status_idx').on(t.tenantId, t.status),
  ],
);

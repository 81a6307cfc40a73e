import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { policyVersions } from './policies.js';

/**
 * A policy version served to a share of a scope's traffic before it is promoted. The candidate is a
 * `policy_versions` row with status `canary` (never live on its own); each request is assigned an arm by a hash of
 * its sticky key, and its decision row carries `canary_id` and `canary_arm` so the two arms can be compared.
 * At most one canary runs per scope.
 */
export const canaries = pgTable(
  'canaries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** 'global' or a tenant id, as for policy versions. */
    scope: text('scope').notNull(),
    /** Null: every traffic class of the scope. */
    trafficClass: text('traffic_class'),
    candidateId: uuid('candidate_id')
      .notNull()
      .references(() => policyVersions.id),
    candidateVersion: integer('candidate_version').notNull(),
    /** The scope's live version when the canary started (what the baseline arm ran then). */
    baselineVersion: integer('baseline_version').notNull(),
    /** Share of keyed requests on the candidate, in percent (0 < percent <= 100). */
    percent: real('percent').notNull(),
    /** What keeps a request on its arm: the user id, or the conversation (metadata.conversation_id, else workflowId). */
    stickyBy: text('sticky_by', { enum: ['user', 'conversation'] }).notNull(),
    /** Automatic rollback thresholds on the canary arm; null ones do not apply. */
    maxErrorRate: real('max_error_rate'),
    maxFallbackRate: real('max_fallback_rate'),
    maxP95Ms: integer('max_p95_ms'),
    /** Canary-arm requests needed before a threshold may trigger a rollback. */
    minRequests: integer('min_requests').notNull().default(50),
    status: text('status', { enum: ['running', 'promoted', 'rolled_back'] })
      .notNull()
      .default('running'),
    /** Why it ended: 'promoted by admin', 'rolled back by admin', or the threshold an automatic rollback crossed. */
    endedReason: text('ended_reason'),
    startedBy: text('started_by').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    endedBy: text('ended_by'),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('canaries_one_running_per_scope')
      .on(t.scope)
      .where(sql`${t.status} = 'running'`),
    index('canaries_scope_idx').on(t.scope, t.startedAt),
    check('canaries_percent', sql`${t.percent} > 0 and ${t.percent} <= 100`),
  ],
);

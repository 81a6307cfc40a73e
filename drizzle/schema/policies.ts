import { index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/**
 * Every published policy version; the highest `published` version of a scope is the live one. A `canary` version
 * serves only the share of traffic its running canary assigns it (see canaries).
 */
export const policyVersions = pgTable(
  'policy_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** 'global' or a tenant id. */
    scope: text('scope').notNull(),
    version: integer('version').notNull(),
    document: jsonb('document').notNull(),
    status: text('status', { enum: ['published', 'rolled_back', 'canary'] })
      .notNull()
      .default('published'),
    note: text('note'),
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('policy_versions_scope_version').on(t.scope, t.version),
    index('policy_versions_scope_idx').on(t.scope),
  ],
);

import { check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * Rate limits set at runtime (GraphQL `setRateLimit`), per tenant, API key or route; each row replaces the config
 * file's entry for its subject. A null column means no limit on that dimension. Tenant `*` stands for every tenant
 * without a limit of its own.
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    scope: text('scope', { enum: ['tenant', 'key', 'route'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    requestsPerMinute: integer('requests_per_minute'),
    tokensPerMinute: integer('tokens_per_minute'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.subjectId] }),
    check(
      'rate_limits_positive',
      sql`coalesce(${t.requestsPerMinute}, 1) > 0 and coalesce(${t.tokensPerMinute}, 1) > 0`,
    ),
  ],
);

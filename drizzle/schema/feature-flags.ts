import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Operator switches (GraphQL `setRouteEnabled`, `setTierEnabled`): a route, or a tier of the class policies (for one
 * traffic class or, with a null class, for all), turned off or on for every instance. A missing row means on. The id
 * names the subject: `route:<routeId>`, `tier:<n>` or `tier:<n>:<trafficClass>`.
 */
export const featureFlags = pgTable(
  'feature_flags',
  {
    id: text('id').primaryKey(),
    scope: text('scope', { enum: ['route', 'tier'] }).notNull(),
    routeId: text('route_id'),
    /** Index of the tier in the class policy (0 = primary). */
    tier: integer('tier'),
    /** Null: the tier flag applies to every traffic class without a flag of its own. */
    trafficClass: text('traffic_class'),
    enabled: boolean('enabled').notNull(),
    reason: text('reason').notNull(),
    /** The API key id that made the change (never the key); null for the system. */
    updatedBy: uuid('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check(
      'feature_flags_subject',
      sql`(${t.scope} = 'route' and ${t.routeId} is not null and ${t.tier} is null and ${t.trafficClass} is null) or (${t.scope} = 'tier' and ${t.routeId} is null and ${t.tier} >= 0)`,
    ),
  ],
);

import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Opt-in: store prompt and answer text (redacted) with decisions. Off by default. */
  contentLogging: boolean('content_logging').notNull().default(false),
  /** Batch requests are held as `resume` jobs, without a provider call, until `resumeBatch`. */
  batchPaused: boolean('batch_paused').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** API keys are shown once and stored as SHA-256 of the whole key (keys are 256-bit random, so no slow hash is needed). */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Null for admin and viewer keys; set for tenant keys. */
    tenantId: text('tenant_id').references(() => tenants.id),
    role: text('role', { enum: ['admin', 'viewer', 'tenant'] }).notNull(),
    name: text('name').notNull(),
    /** The first characters of the key, for people to recognise it (`bk_live_ab12...`). */
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    index('api_keys_tenant_idx')
      .on(t.tenantId)
      .where(sql`${t.revokedAt} is null`),
  ],
);

/** Who did what, for admin actions (key created or revoked, budget changed, policy published or rolled back). */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    actorKeyId: uuid('actor_key_id'),
    actorRole: text('actor_role').notNull(),
    tenantId: text('tenant_id'),
    action: text('action').notNull(),
    target: text('target').notNull(),
    details: text('details'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt)],
);

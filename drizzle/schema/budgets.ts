import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, numeric, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from './tenants.js';

// Money is numeric(18, 9): exact sums of sub-cent token costs, never floats.
const usd = (name: string) => numeric(name, { precision: 18, scale: 9, mode: 'number' });

export const budgets = pgTable('budgets', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  monthlyLimitUsd: usd('monthly_limit_usd').notNull(),
  prepaidBalanceUsd: usd('prepaid_balance_usd'),
  dailyLimitUsd: usd('daily_limit_usd'),
  retryBudgetPerDay: integer('retry_budget_per_day'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Spend per tenant and period ('2026-11' for the month, '2026-11-22' for the day). Reservations and charges are single
 * conditional UPDATEs on these rows, so concurrent requests, on any instance, cannot together pass a limit.
 */
export const budgetUsage = pgTable(
  'budget_usage',
  {
    tenantId: text('tenant_id').notNull(),
    period: text('period').notNull(),
    spentUsd: usd('spent_usd').notNull().default(0),
    reservedUsd: usd('reserved_usd').notNull().default(0),
    retriesUsed: integer('retries_used').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.period] }),
    check('budget_usage_reserved_nonneg', sql`${t.reservedUsd} >= 0`),
  ],
);

/** In-flight holds; settled or released exactly once. */
export const reservations = pgTable('reservations', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  amountUsd: usd('amount_usd').notNull(),
  month: text('month').notNull(),
  day: text('day').notNull(),
  daily: boolean('daily').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Every charge and top-up, for audit and month-end projections. */
export const spendLedger = pgTable(
  'spend_ledger',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    kind: text('kind', { enum: ['charge', 'topup'] }).notNull(),
    amountUsd: usd('amount_usd').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('spend_ledger_tenant_time_idx').on(t.tenantId, t.createdAt)],
);

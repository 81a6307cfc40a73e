import { z } from 'zod';

export const BUDGET_BANDS = ['normal', 'downgrade', 'conserve', 'critical_only', 'exhausted'] as const;
export type BudgetBand = (typeof BUDGET_BANDS)[number];

// Storage keeps money as numeric(18, 9): at most nine digits before the point.
const usd = z.number().nonnegative().max(999_999_999, 'at most 999,999,999 USD');

/** A tenant's budget settings, in USD. */
export const BudgetSettingsSchema = z.object({
  monthlyLimitUsd: usd,
  /** Prepaid balance; null means post-paid (no balance to run out). */
  prepaidBalanceUsd: usd.nullable().default(null),
  /** Daily cap for internal automation; null means none. */
  dailyLimitUsd: usd.nullable().default(null),
  /** Retries batch traffic may spend per day; null means no retry budget. */
  retryBudgetPerDay: z.number().int().nonnegative().nullable().default(null),
});
export type BudgetSettings = z.infer<typeof BudgetSettingsSchema>;

/** What a budget store knows about a tenant at one moment. All amounts in USD. */
export interface BudgetSnapshot extends BudgetSettings {
  tenantId: string;
  /** Charged this month. */
  spentUsd: number;
  /** Held by in-flight reservations. */
  reservedUsd: number;
  /** Charged today (for the daily cap). */
  dailySpentUsd: number;
  /** Batch retries used today. */
  retriesUsedToday: number;
}

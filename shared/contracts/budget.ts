import { z } from 'zod';

export const BUDGET_BANDS = ['normal', 'downgrade', 'conserve', 'critical_only', 'exhausted'] as const;
export type BudgetBand = (typeof BUDGET_BANDS)[number];

/** A tenant's budget settings, in USD. */
export const BudgetSettingsSchema = z.object({
  monthlyLimitUsd: z.number().nonnegative(),
  /** Prepaid balance; null means post-paid (no balance to run out). */
  prepaidBalanceUsd: z.number().nonnegative().nullable().default(null),
  /** Daily cap for internal automation; null means none. */
  dailyLimitUsd: z.number().nonnegative().nullable().default(null),
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

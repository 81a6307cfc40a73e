import type { BudgetBand, BudgetSnapshot } from '../contracts/budget.js';
import type { BudgetBands, TrafficClass } from '../contracts/policy.js';

/** What a traffic class may do in a band: run as planned, move to cheaper routes, wait, or fail with a quota error. */
export type BudgetAccess = 'full' | 'downgrade' | 'blocked' | 'exhausted';

/**
 * The budget policy as one table: band x traffic class -> access. Exhausted is a quota error for every class:
 * the engine names the budget and never switches silently to a pricier model.
 */
export const CLASS_ACCESS = {
  normal: { critical: 'full', non_critical: 'full', internal: 'full', batch: 'full', experiment: 'full' },
  downgrade: { critical: 'full', non_critical: 'downgrade', internal: 'full', batch: 'full', experiment: 'full' },
  conserve: {
    critical: 'full',
    non_critical: 'downgrade',
    internal: 'downgrade',
    batch: 'downgrade',
    experiment: 'downgrade',
  },
  critical_only: {
    critical: 'full',
    non_critical: 'blocked',
    internal: 'blocked',
    batch: 'blocked',
    experiment: 'blocked',
  },
  exhausted: {
    critical: 'exhausted',
    non_critical: 'exhausted',
    internal: 'exhausted',
    batch: 'exhausted',
    experiment: 'exhausted',
  },
} as const satisfies Record<BudgetBand, Record<TrafficClass, BudgetAccess>>;

function isPrepaidExhausted(snapshot: BudgetSnapshot): boolean {
  return snapshot.prepaidBalanceUsd !== null && snapshot.prepaidBalanceUsd - snapshot.reservedUsd <= 0;
}

function monthlyFractionUsed(snapshot: BudgetSnapshot): number {
  // A zero limit means "no spend allowed", not "divide by zero".
  if (snapshot.monthlyLimitUsd <= 0) return Infinity;
  return (snapshot.spentUsd + snapshot.reservedUsd) / snapshot.monthlyLimitUsd;
}

/**
 * The band a tenant is in, from the fraction of the monthly limit spent or held: below `bands.downgrade` is
 * normal, and 1 or more (or an empty prepaid balance) is exhausted. No snapshot (no budget) is normal.
 */
export function budgetBand(snapshot: BudgetSnapshot | undefined, bands: BudgetBands): BudgetBand {
  if (!snapshot) return 'normal';
  if (isPrepaidExhausted(snapshot)) return 'exhausted';
  const used = monthlyFractionUsed(snapshot);
  if (used >= 1) return 'exhausted';
  if (used >= bands.criticalOnly) return 'critical_only';
  if (used >= bands.conserve) return 'conserve';
  if (used >= bands.downgrade) return 'downgrade';
  return 'normal';
}

/** What `trafficClass` may do in `band`; see `CLASS_ACCESS`. */
export function classAccess(band: BudgetBand, trafficClass: TrafficClass): BudgetAccess {
  return CLASS_ACCESS[band][trafficClass];
}

/**
 * Which budget is used up, for the quota error. When both are, the monthly limit is named: it is the cap the
 * bands measure against. Undefined when neither is (or there is no budget).
 */
export function exhaustedBudget(snapshot: BudgetSnapshot | undefined): 'monthly' | 'prepaid' | undefined {
  if (!snapshot) return undefined;
  if (monthlyFractionUsed(snapshot) >= 1) return 'monthly';
  if (isPrepaidExhausted(snapshot)) return 'prepaid';
  return undefined;
}

import { describe, expect, it } from 'vitest';
import { BUDGET_BANDS, type BudgetBand, type BudgetSnapshot } from '../contracts/budget.js';
import { TRAFFIC_CLASSES, type BudgetBands } from '../contracts/policy.js';
import { CLASS_ACCESS, budgetBand, classAccess, exhaustedBudget, type BudgetAccess } from './budget-guard.js';

const bands: BudgetBands = { downgrade: 0.7, conserve: 0.8, criticalOnly: 0.95 };

const snapshot = (over: Partial<BudgetSnapshot> = {}): BudgetSnapshot => ({
  tenantId: 'acme',
  monthlyLimitUsd: 100,
  prepaidBalanceUsd: null,
  dailyLimitUsd: null,
  retryBudgetPerDay: null,
  spentUsd: 0,
  reservedUsd: 0,
  dailySpentUsd: 0,
  retriesUsedToday: 0,
  ...over,
});

describe('budgetBand', () => {
  it('is normal when the tenant has no budget', () => {
    expect(budgetBand(undefined, bands)).toBe('normal');
  });

  it.each<[number, BudgetBand]>([
    [0, 'normal'],
    [69.9, 'normal'],
    [70, 'downgrade'],
    [79.99, 'downgrade'],
    [80, 'conserve'],
    [94.99, 'conserve'],
    [95, 'critical_only'],
    [99.99, 'critical_only'],
    [100, 'exhausted'],
    [130, 'exhausted'],
  ])('puts %d%% of the monthly limit spent in the %s band', (spentUsd, band) => {
    expect(budgetBand(snapshot({ spentUsd }), bands)).toBe(band);
  });

  it('counts reserved (in-flight) spend toward the fraction used', () => {
    expect(budgetBand(snapshot({ spentUsd: 60, reservedUsd: 10 }), bands)).toBe('downgrade');
    expect(budgetBand(snapshot({ spentUsd: 90, reservedUsd: 10 }), bands)).toBe('exhausted');
  });

  it('uses the policy bands, not fixed percentages', () => {
    const strict: BudgetBands = { downgrade: 0.5, conserve: 0.6, criticalOnly: 0.7 };
    expect(budgetBand(snapshot({ spentUsd: 50 }), strict)).toBe('downgrade');
    expect(budgetBand(snapshot({ spentUsd: 65 }), strict)).toBe('conserve');
    expect(budgetBand(snapshot({ spentUsd: 70 }), strict)).toBe('critical_only');
  });

  it('treats a monthly limit of 0 as exhausted', () => {
    expect(budgetBand(snapshot({ monthlyLimitUsd: 0 }), bands)).toBe('exhausted');
  });

  it('is exhausted when the prepaid balance is used up, even far below the monthly limit', () => {
    expect(budgetBand(snapshot({ prepaidBalanceUsd: 0 }), bands)).toBe('exhausted');
    expect(budgetBand(snapshot({ prepaidBalanceUsd: 5, reservedUsd: 5 }), bands)).toBe('exhausted');
    expect(budgetBand(snapshot({ prepaidBalanceUsd: -0.01 }), bands)).toBe('exhausted');
  });

  it('ignores a prepaid balance that still covers the holds', () => {
    expect(budgetBand(snapshot({ prepaidBalanceUsd: 5, reservedUsd: 4.99 }), bands)).toBe('normal');
  });
});

describe('classAccess', () => {
  const expected: Record<BudgetBand, Record<(typeof TRAFFIC_CLASSES)[number], BudgetAccess>> = {
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
  };

  const cases = BUDGET_BANDS.flatMap((band) => TRAFFIC_CLASSES.map((cls) => [band, cls, expected[band][cls]] as const));

  it.each(cases)('in the %s band gives %s traffic %s access', (band, trafficClass, access) => {
    expect(classAccess(band, trafficClass)).toBe(access);
  });

  it('has a row for every band and a column for every class', () => {
    expect(Object.keys(CLASS_ACCESS).sort()).toEqual([...BUDGET_BANDS].sort());
    for (const band of BUDGET_BANDS)
      expect(Object.keys(CLASS_ACCESS[band]).sort()).toEqual([...TRAFFIC_CLASSES].sort());
  });

  it('never gives critical traffic less than full access before the budget is exhausted', () => {
    for (const band of BUDGET_BANDS.filter((b) => b !== 'exhausted'))
      expect(classAccess(band, 'critical')).toBe('full');
  });
});

describe('exhaustedBudget', () => {
  it('is undefined without a budget or while money is left', () => {
    expect(exhaustedBudget(undefined)).toBeUndefined();
    expect(exhaustedBudget(snapshot({ spentUsd: 99.99, prepaidBalanceUsd: 1 }))).toBeUndefined();
  });

  it('names the monthly budget when spend and holds reach the limit', () => {
    expect(exhaustedBudget(snapshot({ spentUsd: 100 }))).toBe('monthly');
    expect(exhaustedBudget(snapshot({ spentUsd: 90, reservedUsd: 10 }))).toBe('monthly');
    expect(exhaustedBudget(snapshot({ monthlyLimitUsd: 0 }))).toBe('monthly');
  });

  it('names the prepaid budget when the balance is used up', () => {
    expect(exhaustedBudget(snapshot({ prepaidBalanceUsd: 0 }))).toBe('prepaid');
    expect(exhaustedBudget(snapshot({ prepaidBalanceUsd: 3, reservedUsd: 3 }))).toBe('prepaid');
  });

  it('names the monthly budget when both are used up', () => {
    expect(exhaustedBudget(snapshot({ spentUsd: 100, prepaidBalanceUsd: 0 }))).toBe('monthly');
  });
});

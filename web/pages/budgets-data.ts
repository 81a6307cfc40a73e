import type { BudgetBand } from '../../shared/contracts/budget.js';
import { BudgetBandsSchema, type BudgetBands } from '../../shared/contracts/policy.js';

/** The engine's defaults, used when the global policy has no (or no valid) `budgetBands`. */
export const DEFAULT_BANDS: BudgetBands = { downgrade: 0.7, conserve: 0.8, criticalOnly: 0.95 };

/** The budget bands of a policy document (JSON from `policy(scope).document`), defaults filled in. */
export function bandsOf(document: unknown): BudgetBands {
  const raw =
    document && typeof document === 'object' ? (document as { budgetBands?: unknown }).budgetBands : undefined;
  const parsed = BudgetBandsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : DEFAULT_BANDS;
}

/** One threshold drawn on a usage bar: the band that starts there and its fraction of the monthly limit. */
export interface BandTick {
  band: Exclude<BudgetBand, 'normal' | 'exhausted'>;
  fraction: number;
}

export function bandTicks(bands: BudgetBands): BandTick[] {
  return [
    { band: 'downgrade', fraction: bands.downgrade },
    { band: 'conserve', fraction: bands.conserve },
    { band: 'critical_only', fraction: bands.criticalOnly },
  ];
}

/** A band as people say it: `critical_only` reads "critical only". */
export function bandLabel(band: string): string {
  return band.replace(/_/g, ' ');
}

/** How a usage bar is filled, in percent of its width (0 to 100). */
export interface UsageFill {
  spentPercent: number;
  reservedPercent: number;
  /** (spent + reserved) / limit; null when the limit is zero. */
  usedFraction: number | null;
  overLimit: boolean;
}

const clampPercent = (n: number) => Math.min(100, Math.max(0, n));

/** Spent and reserved as parts of the monthly limit; past the limit the bar is simply full. Amounts in USD. */
export function usageFill(spentUsd: number, reservedUsd: number, limitUsd: number): UsageFill {
  const used = spentUsd + reservedUsd;
  if (limitUsd <= 0) {
    return { spentPercent: used > 0 ? 100 : 0, reservedPercent: 0, usedFraction: null, overLimit: used > 0 };
  }
  const spentPercent = clampPercent((spentUsd / limitUsd) * 100);
  return {
    spentPercent,
    reservedPercent: Math.min(100 - spentPercent, clampPercent((reservedUsd / limitUsd) * 100)),
    usedFraction: used / limitUsd,
    overLimit: used > limitUsd,
  };
}

/** Whether this month's pace ends above the monthly limit. */
export function isProjectedOverLimit(projectedUsd: number, limitUsd: number): boolean {
  return projectedUsd > limitUsd;
}

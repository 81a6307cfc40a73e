import { describe, expect, it } from 'vitest';
import { bandLabel, bandsOf, bandTicks, DEFAULT_BANDS, isProjectedOverLimit, usageFill } from './budgets-data.js';

describe('bandsOf', () => {
  it('reads the bands of a policy document, filling omitted ones with the defaults', () => {
    expect(bandsOf({ budgetBands: { downgrade: 0.5 } })).toEqual({ downgrade: 0.5, conserve: 0.8, criticalOnly: 0.95 });
  });

  it('falls back to 0.70 / 0.80 / 0.95 without a policy or with unordered bands', () => {
    expect(bandsOf(undefined)).toEqual(DEFAULT_BANDS);
    expect(bandsOf({ budgetBands: { downgrade: 0.9, conserve: 0.8 } })).toEqual(DEFAULT_BANDS);
  });
});

describe('bandTicks', () => {
  it('marks where downgrade, conserve and critical-only start, in order', () => {
    expect(bandTicks(DEFAULT_BANDS)).toEqual([
      { band: 'downgrade', fraction: 0.7 },
      { band: 'conserve', fraction: 0.8 },
      { band: 'critical_only', fraction: 0.95 },
    ]);
    expect(bandLabel('critical_only')).toBe('critical only');
  });
});

describe('usageFill', () => {
  it('draws spent then reserved as percentages of the limit', () => {
    expect(usageFill(600, 50, 1000)).toEqual({
      spentPercent: 60,
      reservedPercent: 5,
      usedFraction: 0.65,
      overLimit: false,
    });
  });

  it('fills the bar no further than full when spend and reservations pass the limit', () => {
    const fill = usageFill(900, 300, 1000);
    expect(fill.spentPercent + fill.reservedPercent).toBe(100);
    expect(fill.overLimit).toBe(true);
    expect(fill.usedFraction).toBeCloseTo(1.2);
  });

  it('has no used fraction for a zero limit', () => {
    expect(usageFill(0, 0, 0)).toMatchObject({ usedFraction: null, overLimit: false, spentPercent: 0 });
    expect(usageFill(1, 0, 0)).toMatchObject({ usedFraction: null, overLimit: true, spentPercent: 100 });
  });
});

describe('isProjectedOverLimit', () => {
  it('warns only when the projection passes the limit', () => {
    expect(isProjectedOverLimit(1200, 1000)).toBe(true);
    expect(isProjectedOverLimit(1000, 1000)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { projectMonthEnd } from './budget.js';

describe('projectMonthEnd', () => {
  it('divides spend by the elapsed fraction of the UTC month', () => {
    // Halfway through a 30-day month.
    expect(projectMonthEnd(12, Date.UTC(2026, 10, 16))).toBeCloseTo(24, 9);
    expect(projectMonthEnd(12, Date.UTC(2026, 10, 1, 6))).toBeCloseTo(12 * 120, 6);
  });

  it('projects zero at the first instant of a month, where there is no pace yet', () => {
    expect(projectMonthEnd(5, Date.UTC(2026, 11, 1))).toBe(0);
  });
});

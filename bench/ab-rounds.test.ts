import { describe, expect, it } from 'vitest';
import { compareRounds, type AbCell, type AbRound } from './ab-rounds.js';

const cell = (rps: number, cpuUs: number, peakRssMb = 140): AbCell => ({ rps, p50Ms: 10, cpuUs, peakRssMb, errors: 0 });
const round = (order: AbRound['order'], a: AbCell, b: AbCell): AbRound => ({ pair: 0, order, A: a, B: b });

describe('compareRounds', () => {
  it('takes the geometric mean of per-round ratios, so a machine that slows down between rounds cancels out', () => {
    // The machine halves its speed after the first round; B is 10% faster than A in both.
    const summary = compareRounds([
      round('AB', cell(2000, 500), cell(2200, 450)),
      round('BA', cell(1000, 1000), cell(1100, 900)),
    ]);
    expect(summary.rps.mean).toBeCloseTo(1.1, 10);
    expect(summary.cpuUs.mean).toBeCloseTo(0.9, 10);
    expect(summary.bFaster).toBe(2);
  });

  it('reports the spread of the rounds and how many B won', () => {
    const summary = compareRounds([
      round('AB', cell(1000, 500), cell(1200, 400)),
      round('BA', cell(1000, 500), cell(900, 550)),
    ]);
    expect(summary.rps.min).toBeCloseTo(0.9, 10);
    expect(summary.rps.max).toBeCloseTo(1.2, 10);
    expect(summary.rps.mean).toBeCloseTo(Math.sqrt(1.2 * 0.9), 10);
    expect(summary.bFaster).toBe(1);
  });

  it('skips a round whose CPU figure could not be read (NaN off Linux) instead of poisoning the mean', () => {
    const summary = compareRounds([
      round('AB', cell(1000, NaN), cell(1100, NaN)),
      round('BA', cell(1000, 500), cell(1000, 400)),
    ]);
    expect(summary.cpuUs.mean).toBeCloseTo(0.8, 10);
    expect(summary.rps.mean).toBeCloseTo(Math.sqrt(1.1), 10);
  });

  it('compares peak RSS as a difference in MB', () => {
    const summary = compareRounds([
      round('AB', cell(1000, 500, 150), cell(1000, 500, 143)),
      round('BA', cell(1000, 500, 148), cell(1000, 500, 145)),
    ]);
    expect(summary.peakRssMb).toEqual({ mean: -5, min: -7, max: -3 });
  });

  it('has no ratio at all without a usable round', () => {
    expect(compareRounds([]).rps.mean).toBeNaN();
  });
});

/** One side's figures in one round of `npm run bench:ab`. */
export interface AbCell {
  rps: number;
  p50Ms: number;
  /** Gateway CPU time per answered request, in microseconds. */
  cpuUs: number;
  /** Highest RSS of the gateway process during the cell, in MB (sampled every 200 ms). */
  peakRssMb: number;
  errors: number;
}

/** One round: both sides measured back to back, in the order given. */
export interface AbRound {
  /** Which pair of fresh processes measured it. */
  pair: number;
  order: 'AB' | 'BA';
  A: AbCell;
  B: AbCell;
}

/** A figure over the rounds: its mean, and the lowest and highest round. */
export interface RoundSummary {
  mean: number;
  min: number;
  max: number;
}

/** `mean` of the usable values (as `usable` decides) with the lowest and highest; NaN throughout when none is usable. */
function summarize(values: number[], usable: (v: number) => boolean, mean: (vs: number[]) => number): RoundSummary {
  const kept = values.filter(usable);
  if (kept.length === 0) return { mean: NaN, min: NaN, max: NaN };
  return { mean: mean(kept), min: Math.min(...kept), max: Math.max(...kept) };
}

/** Ratios B/A: their geometric mean, so that 1.1 and 1/1.1 cancel. */
const ratios = (values: number[]) =>
  summarize(
    values,
    (v) => Number.isFinite(v) && v > 0,
    (vs) => Math.exp(vs.reduce((sum, v) => sum + Math.log(v), 0) / vs.length),
  );

/** Differences B - A (in the figure's unit): their arithmetic mean. */
const differences = (values: number[]) =>
  summarize(values, Number.isFinite, (vs) => vs.reduce((sum, v) => sum + v, 0) / vs.length);

/**
 * Compares B with A round by round. Each round's ratio cancels the machine's drift between rounds; alternating the
 * order cancels the advantage of going first (in A/A runs here the side that went first was usually a few percent
 * faster).
 * @example compareRounds(rounds).rps.mean // 1.08: B served 8% more requests per second
 */
export function compareRounds(rounds: readonly AbRound[]): {
  rps: RoundSummary;
  cpuUs: RoundSummary;
  /** Peak RSS, B - A in MB: a difference, as memory does not scale with the machine's speed. */
  peakRssMb: RoundSummary;
  bFaster: number;
} {
  return {
    rps: ratios(rounds.map((r) => r.B.rps / r.A.rps)),
    cpuUs: ratios(rounds.map((r) => r.B.cpuUs / r.A.cpuUs)),
    peakRssMb: differences(rounds.map((r) => r.B.peakRssMb - r.A.peakRssMb)),
    bFaster: rounds.filter((r) => r.B.rps > r.A.rps).length,
  };
}

/** One side's figures in one round of `npm run bench:ab`. */
export interface AbCell {
  rps: number;
  p50Ms: number;
  /** Gateway CPU time per answered request, in microseconds. */
  cpuUs: number;
  errors: number;
}

/** One round: both sides measured back to back, in the order given. */
export interface AbRound {
  order: 'AB' | 'BA';
  A: AbCell;
  B: AbCell;
}

/** Ratios B/A over the rounds: their geometric mean, and the lowest and highest round. */
export interface RatioSummary {
  mean: number;
  min: number;
  max: number;
}

function ratios(values: number[]): RatioSummary {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length === 0) return { mean: NaN, min: NaN, max: NaN };
  const mean = Math.exp(finite.reduce((sum, v) => sum + Math.log(v), 0) / finite.length);
  return { mean, min: Math.min(...finite), max: Math.max(...finite) };
}

/**
 * Compares B with A round by round. Each round's ratio cancels the machine's drift between rounds; alternating the
 * order cancels the advantage of going first (in A/A runs here the side that went first was usually a few percent
 * faster).
 * @example compareRounds(rounds).rps.mean // 1.08: B served 8% more requests per second
 */
export function compareRounds(rounds: readonly AbRound[]): {
  rps: RatioSummary;
  cpuUs: RatioSummary;
  bFaster: number;
} {
  return {
    rps: ratios(rounds.map((r) => r.B.rps / r.A.rps)),
    cpuUs: ratios(rounds.map((r) => r.B.cpuUs / r.A.cpuUs)),
    bFaster: rounds.filter((r) => r.B.rps > r.A.rps).length,
  };
}

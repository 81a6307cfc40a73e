/** The `q` quantile (0..1) of `xs` by nearest rank; NaN for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The median of `xs`; NaN for an empty list. */
export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** `x` rounded to `digits` decimals, for JSON that reads well. */
export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

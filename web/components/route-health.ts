import { formatPercent } from '../lib/format.js';

/** One failure kind's share of a route's calls, 0 to 1. */
export interface KindRate {
  kind: string;
  rate: number;
}

/** Failure kinds by share of calls, largest first: "rate_limited 12%, timeout 3%"; "none" without failures. */
export function formatErrorsByKind(rates: readonly KindRate[]): string {
  const failing = rates.filter((r) => r.rate > 0).sort((a, b) => b.rate - a.rate || a.kind.localeCompare(b.kind));
  if (failing.length === 0) return 'none';
  // Whole percents read best; below 1% one decimal keeps a rare failure from showing as "0%".
  return failing.map((r) => `${r.kind} ${formatPercent(r.rate, r.rate < 0.01 ? 1 : 0)}`).join(', ');
}

/** Whether the route's p95 latency is over its SLO; undefined when either is unknown. */
export function isOverSlo(p95Ms: number | null | undefined, sloP95Ms: number | null | undefined): boolean | undefined {
  if (p95Ms === null || p95Ms === undefined || sloP95Ms === null || sloP95Ms === undefined) return undefined;
  return p95Ms > sloP95Ms;
}

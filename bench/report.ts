import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

/** How a figure compares with its target in the issue (#8). */
export type Verdict = 'PASS' | 'MISS';
export const verdict = (pass: boolean): Verdict => (pass ? 'PASS' : 'MISS');

/** A figure checked against a target, printed as one line of the summary. */
export interface TargetCheck {
  target: string;
  figure: string;
  verdict: Verdict;
}

/** Milliseconds with 3 decimals (sub-millisecond figures are the point of the latency bench). */
export const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** Prints a titled table. */
export function printTable(title: string, rows: readonly object[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

/** Writes `bench/results/<name>.json` (git-ignored) with the time, Node version and run mode. */
export function saveResult(name: string, data: unknown, meta: Record<string, unknown> = {}): void {
  mkdirSync(RESULTS, { recursive: true });
  const body = { at: new Date().toISOString(), node: process.version, ...meta, data };
  writeFileSync(`${RESULTS}${name}.json`, `${JSON.stringify(body, null, 2)}\n`);
}

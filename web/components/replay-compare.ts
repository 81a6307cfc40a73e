import { formatMs, formatPercent, formatUsd, tierLabel } from '../lib/format.js';

// The what-if report's rows, as pure functions: each metric on the three sides, and whether the draft is better or
// worse than the published policy. Recorded reality is context: the replay leaves out the gateway's own overhead,
// so only published and draft are compared with each other.

/** One side of a replay (or the recorded reality), as `WhatIfMetrics` answers it. */
export interface ReplaySide {
  requests: number;
  answered: number;
  degraded: number;
  failed: number;
  deferred: number;
  fallbacks: number;
  fallbackRate: number | null;
  calls: number;
  costUsd: number;
  p95LatencyMs: number | null;
  tierActivation: readonly { tier: number; requests: number }[];
  errors: readonly { code: string; requests: number }[];
}

export interface ReplaySides {
  recorded: ReplaySide;
  published: ReplaySide;
  draft: ReplaySide;
}

/** How the draft compares with the published policy on one row; `changed` where neither way is better. */
export type Verdict = 'better' | 'worse' | 'changed' | 'same';

export interface ReplayRow {
  key: string;
  label: string;
  recorded: string;
  published: string;
  draft: string;
  /** Draft minus published, with its unit. */
  delta: string;
  verdict: Verdict;
}

/** Band crossings per side; only the overall report has them (they are per tenant, not per class). */
export interface CrossingCounts {
  recorded: number;
  published: number;
  draft: number;
}

type Better = 'lower' | 'higher' | null;

interface Spec {
  key: string;
  label: string;
  value(side: ReplaySide): number | null;
  format(side: ReplaySide): string;
  delta(d: number): string;
  better: Better;
  /** Differences smaller than this are rounding, not a change. */
  epsilon: number;
}

const signed = (d: number, text: string) => (d > 0 ? `+${text}` : d < 0 ? `−${text.replace(/^-/, '')}` : text);
const count = (d: number) => signed(d, String(Math.abs(d)));

const countSpec = (key: keyof ReplaySide & string, label: string, better: Better): Spec => ({
  key,
  label,
  value: (s) => s[key] as number,
  format: (s) => String(s[key]),
  delta: count,
  better,
  epsilon: 0,
});

const tierRequests = (side: ReplaySide, tier: number) =>
  side.tierActivation.find((t) => t.tier === tier)?.requests ?? 0;

/** Every tier any side used, in order, with the requests no tier answered (-1) last. */
function tiersOf(sides: ReplaySides): number[] {
  const all = new Set<number>();
  for (const side of [sides.recorded, sides.published, sides.draft])
    for (const t of side.tierActivation) all.add(t.tier);
  return [...all].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));
}

function specs(sides: ReplaySides): Spec[] {
  return [
    countSpec('requests', 'Requests', null),
    countSpec('answered', 'Answered', 'higher'),
    ...tiersOf(sides).map((tier): Spec => ({
      key: `tier:${tier}`,
      label: tier < 0 ? 'No tier answered' : `Answered by ${tierLabel(tier)}`,
      value: (s) => tierRequests(s, tier),
      format: (s) => String(tierRequests(s, tier)),
      delta: count,
      better: null,
      epsilon: 0,
    })),
    {
      key: 'fallbackRate',
      label: 'Fallback rate',
      value: (s) => s.fallbackRate,
      format: (s) => `${formatPercent(s.fallbackRate)} (${s.fallbacks})`,
      delta: (d) => signed(d, `${(Math.abs(d) * 100).toFixed(1)} pp`),
      better: 'lower',
      epsilon: 1e-9,
    },
    countSpec('degraded', 'Degraded', 'lower'),
    countSpec('failed', 'Failed', 'lower'),
    countSpec('deferred', 'Deferred (queued, paused, review)', 'lower'),
    countSpec('calls', 'Upstream calls', null),
    {
      key: 'costUsd',
      label: 'Cost',
      value: (s) => s.costUsd,
      format: (s) => formatUsd(s.costUsd),
      delta: (d) => signed(d, formatUsd(Math.abs(d))),
      better: 'lower',
      epsilon: 1e-9,
    },
    {
      key: 'p95LatencyMs',
      label: 'p95 latency',
      value: (s) => s.p95LatencyMs,
      format: (s) => formatMs(s.p95LatencyMs),
      delta: (d) => signed(d, formatMs(Math.abs(d))),
      better: 'lower',
      epsilon: 0.5,
    },
  ];
}

function verdictOf(published: number | null, draft: number | null, better: Better, epsilon: number): Verdict {
  if (published === null || draft === null) return published === draft ? 'same' : 'changed';
  const d = draft - published;
  if (Math.abs(d) <= epsilon) return 'same';
  if (better === null) return 'changed';
  return (better === 'lower') === d < 0 ? 'better' : 'worse';
}

const errorsText = (side: ReplaySide) =>
  side.errors.length === 0 ? 'none' : side.errors.map((e) => `${e.code} ${e.requests}`).join(', ');

/**
 * The report's rows for one scope (overall, or one tenant and class): requests, answered and by tier, fallback rate,
 * degraded, failed, deferred, calls, cost, p95 latency, failures by code, and, given, budget bands crossed.
 */
export function replayRows(sides: ReplaySides, crossings?: CrossingCounts): ReplayRow[] {
  const rows = specs(sides).map((spec): ReplayRow => {
    const p = spec.value(sides.published);
    const d = spec.value(sides.draft);
    return {
      key: spec.key,
      label: spec.label,
      recorded: spec.format(sides.recorded),
      published: spec.format(sides.published),
      draft: spec.format(sides.draft),
      delta: p === null || d === null ? '–' : spec.delta(d - p),
      verdict: verdictOf(p, d, spec.better, spec.epsilon),
    };
  });
  const published = errorsText(sides.published);
  const draft = errorsText(sides.draft);
  rows.push({
    key: 'errors',
    label: 'Failed by code',
    recorded: errorsText(sides.recorded),
    published,
    draft,
    delta: '',
    verdict: published === draft ? 'same' : 'changed',
  });
  if (crossings)
    rows.push({
      key: 'bandCrossings',
      label: 'Budget bands crossed',
      recorded: String(crossings.recorded),
      published: String(crossings.published),
      draft: String(crossings.draft),
      delta: count(crossings.draft - crossings.published),
      verdict: verdictOf(crossings.published, crossings.draft, 'lower', 0),
    });
  return rows;
}

/** One word for a scope: mixed when some rows are better and some worse, else worse, better, changed or same. */
export function overallVerdict(rows: readonly ReplayRow[]): Verdict | 'mixed' {
  const verdicts = new Set(rows.map((r) => r.verdict));
  if (verdicts.has('worse')) return verdicts.has('better') ? 'mixed' : 'worse';
  if (verdicts.has('better')) return 'better';
  return verdicts.has('changed') ? 'changed' : 'same';
}

import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { replayRows, type CrossingCounts, type ReplayRow, type Verdict } from './replay-compare.js';

export const ReplayTable_MetricsFragment = graphql(`
  fragment ReplayTable_MetricsFragment on WhatIfMetrics {
    requests
    answered
    degraded
    failed
    deferred
    fallbacks
    fallbackRate
    calls
    costUsd
    p95LatencyMs
    tierActivation {
      tier
      requests
    }
    errors {
      code
      requests
    }
  }
`);

type Metrics = FragmentOf<typeof ReplayTable_MetricsFragment>;

/** The three sides of one scope (overall, or one tenant and class). */
export function rowsOf(
  sides: { recorded: Metrics; published: Metrics; draft: Metrics },
  crossings?: CrossingCounts,
): ReplayRow[] {
  return replayRows(
    {
      recorded: readFragment(ReplayTable_MetricsFragment, sides.recorded),
      published: readFragment(ReplayTable_MetricsFragment, sides.published),
      draft: readFragment(ReplayTable_MetricsFragment, sides.draft),
    },
    crossings,
  );
}

const VERDICT_BADGE: Record<Verdict, string | null> = {
  better: 'ok',
  worse: 'failed',
  changed: 'warn',
  same: null,
};

/** A verdict as a badge with its word, so colour is never the only cue; nothing for `same`. */
export function VerdictBadge({ verdict }: { verdict: Verdict | 'mixed' }) {
  const badge = verdict === 'mixed' ? 'warn' : VERDICT_BADGE[verdict];
  return badge ? <span className={`badge ${badge}`}>{verdict === 'mixed' ? 'better and worse' : verdict}</span> : null;
}

/** Recorded, published replay and draft replay side by side, row by row, with the draft's difference marked. */
export function ReplayTable({ rows, caption }: { rows: readonly ReplayRow[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="replay-table" aria-label={caption}>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Recorded</th>
            <th scope="col">Published (replay)</th>
            <th scope="col">Draft (replay)</th>
            <th scope="col">Draft − published</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-verdict={r.verdict}>
              <th scope="row">{r.label}</th>
              <td>{r.recorded}</td>
              <td>{r.published}</td>
              <td className={r.verdict === 'same' ? undefined : `replay-${r.verdict}`}>{r.draft}</td>
              <td>
                {r.delta} <VerdictBadge verdict={r.verdict} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

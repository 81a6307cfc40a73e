import { useId } from 'react';
import { formatDateTime, formatMs, formatPercent, formatUsd } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf, type ResultOf } from '../lib/graphql.js';

export const ShadowComparison_SideFragment = graphql(`
  fragment ShadowComparison_SideFragment on ShadowSide {
    calls
    errorRate
    p50LatencyMs
    p95LatencyMs
    avgCostUsd
    totalCostUsd
    schemaChecked
    schemaPassRate
  }
`);

export const ShadowComparison_ShadowFragment = graphql(
  `
    fragment ShadowComparison_ShadowFragment on ShadowRoute {
      id
      scope
      trafficClass
      routeId
      sampleRate
      timeoutMs
      budgetUsd
      spentUsd
      reservedUsd
      status
      createdAt
      stoppedAt
      comparison {
        skippedBudget
        skippedBusy
        shadowFailures {
          kind
          calls
        }
        serving {
          ...ShadowComparison_SideFragment
        }
        shadow {
          ...ShadowComparison_SideFragment
        }
      }
    }
  `,
  [ShadowComparison_SideFragment],
);

type Side = ResultOf<typeof ShadowComparison_SideFragment>;

const ROWS: { label: string; show: (s: Side) => string }[] = [
  { label: 'Calls', show: (s) => String(s.calls) },
  { label: 'Error rate', show: (s) => formatPercent(s.errorRate) },
  { label: 'p50 latency', show: (s) => formatMs(s.p50LatencyMs) },
  { label: 'p95 latency', show: (s) => formatMs(s.p95LatencyMs) },
  { label: 'Average cost', show: (s) => formatUsd(s.avgCostUsd) },
  { label: 'Total cost', show: (s) => formatUsd(s.totalCostUsd) },
  {
    label: 'Schema pass rate',
    show: (s) => (s.schemaChecked === 0 ? 'no schema' : `${formatPercent(s.schemaPassRate)} of ${s.schemaChecked}`),
  },
];

export interface ShadowComparisonProps {
  shadow: FragmentOf<typeof ShadowComparison_ShadowFragment>;
  /** Shows the Stop button (admins, running shadows). */
  onStop?: (id: string) => void;
  stopping?: boolean;
}

/** One shadow route: serving vs shadow over the mirrored requests, and how much of its own budget it has used. */
export function ShadowComparison({ shadow: ref, onStop, stopping = false }: ShadowComparisonProps) {
  const shadow = readFragment(ShadowComparison_ShadowFragment, ref);
  const id = useId();
  const { comparison: c } = shadow;
  const serving = readFragment(ShadowComparison_SideFragment, c.serving);
  const candidate = readFragment(ShadowComparison_SideFragment, c.shadow);
  const used = shadow.spentUsd + shadow.reservedUsd;
  const caption = `Shadow ${shadow.routeId} (${shadow.scope}, ${shadow.trafficClass ?? 'every class'})`;
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>
        {caption} <span className={`badge ${shadow.status === 'running' ? 'pending' : 'ok'}`}>{shadow.status}</span>
      </h3>
      <p className="notice">
        Mirrors {formatPercent(shadow.sampleRate, 0)} of requests, {formatMs(shadow.timeoutMs)} timeout. Shadow budget:{' '}
        <strong>{`${formatUsd(used)} of ${formatUsd(shadow.budgetUsd)} used`}</strong>
        {shadow.reservedUsd > 0 && ` (${formatUsd(shadow.reservedUsd)} held)`}. Started{' '}
        {formatDateTime(shadow.createdAt)}
        {shadow.stoppedAt && `, stopped ${formatDateTime(shadow.stoppedAt)}`}.
      </p>
      <table aria-label={`${caption}: serving vs shadow`}>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Serving</th>
            <th scope="col">Shadow</th>
          </tr>
        </thead>
        <tbody>
          {ROWS.map((row) => (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td>{row.show(serving)}</td>
              <td>{row.show(candidate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {(c.shadowFailures.length > 0 || c.skippedBudget > 0 || c.skippedBusy > 0) && (
        <p className="notice">
          {c.shadowFailures.length > 0 &&
            `Shadow failures: ${c.shadowFailures.map((f) => `${f.kind} ×${f.calls}`).join(', ')}. `}
          {c.skippedBudget > 0 && `${c.skippedBudget} not mirrored: shadow budget spent. `}
          {c.skippedBusy > 0 && `${c.skippedBusy} not mirrored: too many shadow calls at once.`}
        </p>
      )}
      {onStop && shadow.status === 'running' && (
        <button type="button" disabled={stopping} onClick={() => onStop(shadow.id)}>
          {stopping ? 'Stopping…' : `Stop shadow ${shadow.routeId}`}
        </button>
      )}
    </section>
  );
}

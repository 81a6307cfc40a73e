import { Link } from 'react-router';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatMs, formatTime, formatUsd, tierLabel } from '../lib/format.js';
import { Empty } from './states.js';

export const RecentDecisions_DecisionEventFragment = graphql(`
  fragment RecentDecisions_DecisionEventFragment on DecisionEvent {
    id
    tenantId
    outcome
    finalRouteId
    finalTier
    totalLatencyMs
    totalCostUsd
    startedAt
  }
`);

/** The newest decisions from the live feed, newest first, each linking to its full record. */
export function RecentDecisions({
  decisions,
}: {
  decisions: readonly FragmentOf<typeof RecentDecisions_DecisionEventFragment>[];
}) {
  if (decisions.length === 0) return <Empty>Waiting for decisions…</Empty>;
  return (
    <ul className="feed" aria-label="Recent decisions">
      {decisions.map((masked) => {
        const d = readFragment(RecentDecisions_DecisionEventFragment, masked);
        return (
          <li key={d.id}>
            <Link to={`/decisions/${encodeURIComponent(d.id)}`}>
              {formatTime(d.startedAt)} · {d.finalRouteId ?? 'no route'}
            </Link>
            <span>{tierLabel(d.finalTier)}</span>
            <span>{formatMs(d.totalLatencyMs)}</span>
            <span>{formatUsd(d.totalCostUsd)}</span>
            <span className="notice">{d.tenantId}</span>
            <span className={`badge ${d.outcome}`}>{d.outcome.replace('_', ' ')}</span>
          </li>
        );
      })}
    </ul>
  );
}

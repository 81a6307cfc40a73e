import { Link } from 'react-router';
import { formatMs, formatUsd, tierLabel } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf, type ResultOf } from '../lib/graphql.js';

export const ReplayChanges_ChangeFragment = graphql(`
  fragment ReplayChanges_ChangeFragment on WhatIfChange {
    decisionId
    tenantId
    trafficClass
    published {
      outcome
      finalRouteId
      finalTier
      errorCode
      costUsd
      latencyMs
    }
    draft {
      outcome
      finalRouteId
      finalTier
      errorCode
      costUsd
      latencyMs
    }
  }
`);

type End = ResultOf<typeof ReplayChanges_ChangeFragment>['published'];

function EndCell({ end }: { end: End }) {
  return (
    <td>
      <span className={`badge ${end.outcome}`}>{end.outcome}</span>{' '}
      {end.finalRouteId ? (
        <>
          <code>{end.finalRouteId}</code> ({tierLabel(end.finalTier)})
        </>
      ) : (
        (end.errorCode ?? 'no route')
      )}{' '}
      <span className="notice">
        {formatUsd(end.costUsd)}, {formatMs(end.latencyMs)}
      </span>
    </td>
  );
}

/** The decisions that end differently under the draft (the first ones the server sends), each linked to its record. */
export function ReplayChanges({
  changes,
  total,
}: {
  changes: readonly FragmentOf<typeof ReplayChanges_ChangeFragment>[];
  total: number;
}) {
  if (total === 0) return <p className="notice">No decision ends differently under the draft.</p>;
  const list = changes.map((c) => readFragment(ReplayChanges_ChangeFragment, c));
  return (
    <>
      <p className="notice">
        {total} {total === 1 ? 'decision ends' : 'decisions end'} differently under the draft
        {list.length < total ? `; the first ${list.length} are listed` : ''}.
      </p>
      <div className="table-wrap">
        <table aria-label="Decisions that change">
          <thead>
            <tr>
              <th scope="col">Decision</th>
              <th scope="col">Tenant / class</th>
              <th scope="col">Published (replay)</th>
              <th scope="col">Draft (replay)</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.decisionId}>
                <th scope="row">
                  <Link to={`/decisions/${encodeURIComponent(c.decisionId)}`}>
                    <code>{c.decisionId.slice(0, 8)}</code>
                  </Link>
                </th>
                <td>
                  {c.tenantId} / {c.trafficClass}
                </td>
                <EndCell end={c.published} />
                <EndCell end={c.draft} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

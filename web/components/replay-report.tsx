import { formatDateTime } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf, type ResultOf } from '../lib/graphql.js';
import { overallVerdict } from './replay-compare.js';
import { ReplayChanges, ReplayChanges_ChangeFragment } from './replay-changes.js';
import { ReplayTable, ReplayTable_MetricsFragment, VerdictBadge, rowsOf } from './replay-table.js';

export const ReplayReport_ReplayFragment = graphql(
  `
    fragment ReplayReport_ReplayFragment on WhatIfReplay {
      from
      to
      tenantId
      requests
      excluded
      changedDecisions
      overall {
        recorded {
          ...ReplayTable_MetricsFragment
        }
        published {
          ...ReplayTable_MetricsFragment
        }
        draft {
          ...ReplayTable_MetricsFragment
        }
      }
      groups {
        tenantId
        trafficClass
        recorded {
          requests
          ...ReplayTable_MetricsFragment
        }
        published {
          ...ReplayTable_MetricsFragment
        }
        draft {
          ...ReplayTable_MetricsFragment
        }
      }
      changes {
        ...ReplayChanges_ChangeFragment
      }
      bandCrossings {
        recorded {
          tenantId
          from
          to
          at
          decisionId
        }
        published {
          tenantId
          from
          to
          at
          decisionId
        }
        draft {
          tenantId
          from
          to
          at
          decisionId
        }
      }
      sources {
        draft {
          assumedCalls
          unobservedRoutes
        }
      }
    }
  `,
  [ReplayTable_MetricsFragment, ReplayChanges_ChangeFragment],
);

type Crossing = ResultOf<typeof ReplayReport_ReplayFragment>['bandCrossings']['draft'][number];

function Crossings({ sides }: { sides: Record<'recorded' | 'published' | 'draft', readonly Crossing[]> }) {
  const rows = (['recorded', 'published', 'draft'] as const).flatMap((side) => sides[side].map((c) => ({ side, c })));
  if (rows.length === 0) return null;
  return (
    <div className="table-wrap">
      <table aria-label="Budget band crossings">
        <thead>
          <tr>
            <th scope="col">Side</th>
            <th scope="col">Tenant</th>
            <th scope="col">Band</th>
            <th scope="col">At</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ side, c }) => (
            <tr key={`${side}:${c.tenantId}:${c.decisionId}:${c.to}`}>
              <th scope="row">{side}</th>
              <td>{c.tenantId}</td>
              <td>
                <span className={`badge ${c.from}`}>{c.from}</span> → <span className={`badge ${c.to}`}>{c.to}</span>
              </td>
              <td>{formatDateTime(c.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A what-if report: what the window recorded, what the published policy and the draft replay to, overall and per
 * tenant and class, with the draft's differences marked; then the budget bands crossed and the decisions that change.
 */
export function ReplayReport({ report }: { report: FragmentOf<typeof ReplayReport_ReplayFragment> }) {
  const r = readFragment(ReplayReport_ReplayFragment, report);
  const crossings = {
    recorded: r.bandCrossings.recorded.length,
    published: r.bandCrossings.published.length,
    draft: r.bandCrossings.draft.length,
  };
  const overall = rowsOf(r.overall, crossings);
  const who = r.tenantId ? `tenant ${r.tenantId}` : 'all tenants';
  const { assumedCalls, unobservedRoutes } = r.sources.draft;
  return (
    <div className="replay-report">
      <p>
        <strong>{r.requests}</strong> {r.requests === 1 ? 'decision' : 'decisions'} of {who} replayed, from{' '}
        {formatDateTime(r.from)} to {formatDateTime(r.to)}. Draft against published:{' '}
        <VerdictBadge verdict={overallVerdict(overall)} />
        {overallVerdict(overall) === 'same' && <span className="notice">no difference</span>}
      </p>
      {r.excluded > 0 && (
        <p className="notice">
          {r.excluded} {r.excluded === 1 ? 'decision was' : 'decisions were'} left out (reviewers’ answers, unknown
          classes).
        </p>
      )}
      {assumedCalls > 0 && (
        <p className="notice">
          The draft calls {unobservedRoutes.length > 0 ? unobservedRoutes.join(', ') : 'routes'}, which the window never
          called: {assumedCalls} {assumedCalls === 1 ? 'call is' : 'calls are'} assumed to succeed.
        </p>
      )}
      <ReplayTable rows={overall} caption="Replay, all groups" />
      <Crossings sides={r.bandCrossings} />
      <h3>By tenant and class</h3>
      {r.groups.map((g) => {
        const rows = rowsOf(g);
        const name = `${g.tenantId} · ${g.trafficClass}`;
        return (
          <details key={`${g.tenantId}:${g.trafficClass}`} className="replay-group">
            <summary>
              {name} ({g.recorded.requests} requests) <VerdictBadge verdict={overallVerdict(rows)} />
            </summary>
            <ReplayTable rows={rows} caption={`Replay, ${name}`} />
          </details>
        );
      })}
      <h3>Decisions that change</h3>
      <ReplayChanges changes={r.changes} total={r.changedDecisions} />
    </div>
  );
}

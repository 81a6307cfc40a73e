import type { MouseEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { formatDateTime, formatMs, formatUsd, tierLabel } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';

export const DecisionTable_DecisionFragment = graphql(`
  fragment DecisionTable_DecisionFragment on Decision {
    id
    startedAt
    tenantId
    tenant {
      name
    }
    trafficClass
    outcome
    finalRouteId
    finalTier
    attemptCount
    totalLatencyMs
    totalCostUsd
    degradedReasons
  }
`);

interface Props {
  decisions: readonly FragmentOf<typeof DecisionTable_DecisionFragment>[];
  selectedId: string | undefined;
  /** Where a row leads: the decision's own address, keeping the filters. */
  hrefFor(id: string): string;
  /** Called when a decision is opened (row click or its link), before the address changes. */
  onOpen(id: string): void;
}

/** One row per decision, newest first; a row opens its attempt timeline by click, or by its link from the keyboard. */
export function DecisionTable({ decisions, selectedId, hrefFor, onOpen }: Props) {
  const navigate = useNavigate();
  const rows = decisions.map((d) => readFragment(DecisionTable_DecisionFragment, d));
  const select = (id: string) => (e: MouseEvent) => {
    // The link navigates by itself; the rest of the row does what the link does.
    if ((e.target as HTMLElement).closest('a')) return;
    onOpen(id);
    void navigate(hrefFor(id));
  };
  return (
    <div className="table-wrap">
      <table>
        <caption className="notice" style={{ textAlign: 'left', captionSide: 'top' }}>
          Newest first. Select a row for its attempt timeline.
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Tenant</th>
            <th scope="col">Class</th>
            <th scope="col">Outcome</th>
            <th scope="col">Final route</th>
            <th scope="col">Tier</th>
            <th scope="col">Attempts</th>
            <th scope="col">Latency</th>
            <th scope="col">Cost</th>
            <th scope="col">Degraded reasons</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => {
            const selected = d.id === selectedId;
            return (
              <tr key={d.id} className={selected ? 'selectable selected' : 'selectable'} onClick={select(d.id)}>
                <th scope="row">
                  <Link
                    to={hrefFor(d.id)}
                    onClick={() => onOpen(d.id)}
                    aria-current={selected ? 'true' : undefined}
                    aria-label={`Decision ${d.id} at ${formatDateTime(d.startedAt)}`}
                  >
                    {formatDateTime(d.startedAt)}
                  </Link>
                </th>
                <td>{d.tenant?.name ?? d.tenantId}</td>
                <td>{d.trafficClass}</td>
                <td>
                  <span className={`badge ${d.outcome}`}>{d.outcome}</span>
                </td>
                <td>{d.finalRouteId ?? '–'}</td>
                <td>{tierLabel(d.finalTier)}</td>
                <td>{d.attemptCount}</td>
                <td>{formatMs(d.totalLatencyMs)}</td>
                <td>{formatUsd(d.totalCostUsd)}</td>
                <td>{d.degradedReasons.length > 0 ? d.degradedReasons.join(', ') : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatMs, formatPercent, formatUsd } from '../lib/format.js';
import { Empty } from './states.js';

export const LiveAggregatesTable_RowFragment = graphql(`
  fragment LiveAggregatesTable_RowFragment on LiveAggregateRow {
    key
    requests
    successRate
    fallbackRate
    p95Ms
    costUsd
  }
`);

export const LiveAggregatesTable_LiveMetricsFragment = graphql(
  `
    fragment LiveAggregatesTable_LiveMetricsFragment on LiveMetrics {
      windowMs
      routes {
        ...LiveAggregatesTable_RowFragment
      }
      classes {
        ...LiveAggregatesTable_RowFragment
      }
    }
  `,
  [LiveAggregatesTable_RowFragment],
);

type Row = FragmentOf<typeof LiveAggregatesTable_RowFragment>;

function AggregateTable({ caption, keyHeader, rows }: { caption: string; keyHeader: string; rows: readonly Row[] }) {
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyHeader}</th>
            <th scope="col">Requests</th>
            <th scope="col">Success rate</th>
            <th scope="col">Fallback rate</th>
            <th scope="col">p95 latency</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((masked) => {
            const r = readFragment(LiveAggregatesTable_RowFragment, masked);
            return (
              <tr key={r.key}>
                <th scope="row">{r.key}</th>
                <td>{r.requests.toLocaleString('en-US')}</td>
                <td>{formatPercent(r.successRate)}</td>
                <td>{formatPercent(r.fallbackRate)}</td>
                <td>{formatMs(r.p95Ms)}</td>
                <td>{formatUsd(r.costUsd)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** This instance's in-memory aggregates over the last window, per route and per traffic class, across all tenants. */
export function LiveAggregatesTable({ live }: { live: FragmentOf<typeof LiveAggregatesTable_LiveMetricsFragment> }) {
  const l = readFragment(LiveAggregatesTable_LiveMetricsFragment, live);
  if (l.routes.length === 0 && l.classes.length === 0)
    return <Empty>This instance has served no requests in the last {Math.round(l.windowMs / 60_000)} min.</Empty>;
  return (
    <div className="grid-2">
      <AggregateTable caption="By route" keyHeader="Route" rows={l.routes} />
      <AggregateTable caption="By traffic class" keyHeader="Traffic class" rows={l.classes} />
    </div>
  );
}

import { formatMs, formatPercent, formatTime } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatErrorsByKind, isOverSlo } from './route-health.js';

export const RouteTable_RouteFragment = graphql(`
  fragment RouteTable_RouteFragment on Route {
    id
    provider
    model
    qualityClass
    sloP95Ms
    breaker {
      state
      errorRate
      requests
      p50LatencyMs
      p95LatencyMs
    }
    synthetic {
      ok
      checkedAt
      latencyMs
      error
    }
  }
`);

export const RouteTable_LiveRowFragment = graphql(`
  fragment RouteTable_LiveRowFragment on LiveAggregateRow {
    key
    requests
    calls
    errorRateByKind {
      kind
      rate
    }
  }
`);

interface Props {
  routes: readonly FragmentOf<typeof RouteTable_RouteFragment>[];
  /** Live aggregates per route (keyed by route id) over `windowMs`. */
  live: readonly FragmentOf<typeof RouteTable_LiveRowFragment>[];
  windowMs: number;
}

/** One row per route: breaker state and window stats, the last synthetic probe, and recent errors by kind. */
export function RouteTable({ routes, live, windowMs }: Props) {
  const liveByRoute = new Map(
    live.map((row) => readFragment(RouteTable_LiveRowFragment, row)).map((row) => [row.key, row]),
  );
  const minutes = Math.round(windowMs / 60_000);
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">Provider / model</th>
            <th scope="col">Breaker</th>
            <th scope="col">Error rate</th>
            <th scope="col">Requests (breaker window)</th>
            <th scope="col">p50 / p95</th>
            <th scope="col">SLO p95</th>
            <th scope="col">Synthetic check</th>
            <th scope="col">Recent errors ({minutes} min)</th>
          </tr>
        </thead>
        <tbody>
          {routes.map((fragment) => {
            const r = readFragment(RouteTable_RouteFragment, fragment);
            const row = liveByRoute.get(r.id);
            const overSlo = isOverSlo(r.breaker.p95LatencyMs, r.sloP95Ms);
            return (
              <tr key={r.id}>
                <th scope="row" style={{ whiteSpace: 'nowrap' }}>
                  <code>{r.id}</code>
                </th>
                <td>
                  {r.provider} / {r.model} <span className="notice">({r.qualityClass})</span>
                </td>
                <td>
                  <span className={`badge ${r.breaker.state}`}>{r.breaker.state.replace('_', '-')}</span>
                </td>
                <td>{formatPercent(r.breaker.errorRate)}</td>
                <td>{r.breaker.requests}</td>
                <td>
                  {formatMs(r.breaker.p50LatencyMs)} / {formatMs(r.breaker.p95LatencyMs)}{' '}
                  {overSlo && <span className="badge warn">over SLO</span>}
                </td>
                <td>{r.sloP95Ms === null ? 'none' : formatMs(r.sloP95Ms)}</td>
                <td>
                  {!r.synthetic ? (
                    <span className="notice">not checked yet</span>
                  ) : r.synthetic.ok ? (
                    <>
                      <span className="badge ok">ok</span> {formatMs(r.synthetic.latencyMs)} at{' '}
                      {formatTime(r.synthetic.checkedAt)}
                    </>
                  ) : (
                    <>
                      <span className="badge failed">failed</span> {r.synthetic.error ?? 'no detail'} at{' '}
                      {formatTime(r.synthetic.checkedAt)}
                    </>
                  )}
                </td>
                <td>
                  {row && row.calls > 0 ? (
                    formatErrorsByKind(row.errorRateByKind)
                  ) : (
                    <span className="notice">no calls</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

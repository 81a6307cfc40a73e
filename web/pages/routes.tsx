import { useCallback } from 'react';
import { useQuery } from 'urql';
import { DrillPanel, DrillPanel_DrillFragment, DrillPanel_RouteFragment } from '../components/drill-panel.js';
import { RouteTable, RouteTable_LiveRowFragment, RouteTable_RouteFragment } from '../components/route-table.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useVisibleInterval } from '../components/use-visible-interval.js';
import { graphql } from '../lib/graphql.js';

/** How often the page re-reads breakers and live metrics while visible, in milliseconds. */
export const ROUTES_POLL_MS = 5000;

export const RoutesQuery = graphql(
  `
    query RoutesQuery {
      routes {
        id
        ...RouteTable_RouteFragment
        ...DrillPanel_RouteFragment
      }
      liveMetrics(windowMs: 300000) {
        windowMs
        routes {
          ...RouteTable_LiveRowFragment
        }
      }
      drills {
        ...DrillPanel_DrillFragment
      }
    }
  `,
  [RouteTable_RouteFragment, RouteTable_LiveRowFragment, DrillPanel_RouteFragment, DrillPanel_DrillFragment],
);

/** Route health (breakers, synthetic checks, recent errors by kind), kept live, and the fault drill panel. */
export function RoutesPage() {
  const [result, reexecute] = useQuery({ query: RoutesQuery });
  const refresh = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  useVisibleInterval(refresh, ROUTES_POLL_MS);
  const data = result.data;

  return (
    <>
      <div className="page-header">
        <h1>Routes</h1>
        <div className="actions">
          <span className="notice">Updates every {ROUTES_POLL_MS / 1000} s while this page is open.</span>
          <button type="button" className="secondary" onClick={refresh}>
            Refresh now
          </button>
        </div>
      </div>
      {!data ? (
        result.error ? (
          <ErrorState error={result.error} retry={refresh} />
        ) : (
          <Loading what="routes" />
        )
      ) : (
        <>
          {/* A failed poll keeps the last answer on screen and says it may be out of date. */}
          {result.error && !result.fetching && <ErrorState error={result.error} retry={refresh} />}
          <section className="panel" aria-labelledby="health-heading">
            <h2 id="health-heading">Health</h2>
            {data.routes.length === 0 ? (
              <Empty>No routes are configured.</Empty>
            ) : (
              <RouteTable routes={data.routes} live={data.liveMetrics.routes} windowMs={data.liveMetrics.windowMs} />
            )}
          </section>
          <section className="panel" aria-label="Drill">
            <DrillPanel routes={data.routes} drills={data.drills} onChanged={refresh} />
          </section>
        </>
      )}
    </>
  );
}

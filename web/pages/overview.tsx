import { useCallback, useEffect, useMemo, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { CostBreakdownCharts, CostBreakdownCharts_MetricsFragment } from '../components/cost-breakdown-charts.js';
import { LiveAggregatesTable, LiveAggregatesTable_LiveMetricsFragment } from '../components/live-aggregates-table.js';
import { LiveCostChart } from '../components/live-cost-chart.js';
import { ModelHealthCharts, ModelHealthCharts_MetricsFragment } from '../components/model-health-charts.js';
import {
  OverviewFilters,
  OverviewFilters_TenantFragment,
  type OverviewFilterValues,
} from '../components/overview-filters.js';
import { OverviewStats, OverviewStats_MetricsFragment } from '../components/overview-stats.js';
import { RecentDecisions, RecentDecisions_DecisionEventFragment } from '../components/recent-decisions.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { TierActivationChart, TierActivationChart_MetricsFragment } from '../components/tier-activation-chart.js';
import { useThrottledRefetch } from '../components/use-throttled-refetch.js';
import { formatTime } from '../lib/format.js';
import { graphql, type ResultOf } from '../lib/graphql.js';
import {
  addToFeed,
  emptyFeed,
  isTrafficClass,
  liveCostRows,
  TIME_RANGES,
  windowFor,
  type Feed,
  type TimeRangeId,
} from './overview-data.js';

/**
 * How long after a decision its rollup is surely in the database: the writer's batch interval
 * (`BACKSTOP_DECISION_FLUSH_MS`, 1 s by default) plus the write. The page looks again this long after it opens and after
 * each live decision; with a longer interval the charts catch up at the next event.
 */
export const ROLLUP_SETTLE_MS = 2_500;

export const OverviewQuery = graphql(
  `
    query OverviewQuery(
      $from: DateTime!
      $to: DateTime!
      $bucketMinutes: Int!
      $trafficClass: TrafficClass
      $tenantId: ID
      $windowMs: Int!
    ) {
      metrics(from: $from, to: $to, bucketMinutes: $bucketMinutes, trafficClass: $trafficClass, tenantId: $tenantId) {
        fallbackActivationRate {
          requests
        }
        ...OverviewStats_MetricsFragment
        ...TierActivationChart_MetricsFragment
        ...CostBreakdownCharts_MetricsFragment
        ...ModelHealthCharts_MetricsFragment
      }
      liveMetrics(windowMs: $windowMs) {
        windowMs
        ...LiveAggregatesTable_LiveMetricsFragment
      }
      tenants {
        id
        name
        ...OverviewFilters_TenantFragment
      }
      routes {
        id
        model
      }
    }
  `,
  [
    OverviewStats_MetricsFragment,
    TierActivationChart_MetricsFragment,
    CostBreakdownCharts_MetricsFragment,
    ModelHealthCharts_MetricsFragment,
    LiveAggregatesTable_LiveMetricsFragment,
    OverviewFilters_TenantFragment,
  ],
);

export const DecisionFeedSubscription = graphql(
  `
    subscription DecisionFeedSubscription($tenantId: ID) {
      decisionRecorded(tenantId: $tenantId) {
        id
        trafficClass
        startedAt
        finalRouteId
        totalCostUsd
        ...RecentDecisions_DecisionEventFragment
      }
    }
  `,
  [RecentDecisions_DecisionEventFragment],
);

type FeedEvent = ResultOf<typeof DecisionFeedSubscription>['decisionRecorded'];

const DEFAULT_RANGE: TimeRangeId = '1h';

/** Tier activation, fallback rate, cost, latency and success over a window, kept current by the decision feed. */
export function OverviewPage() {
  const [filters, setFilters] = useState<OverviewFilterValues>({
    range: DEFAULT_RANGE,
    trafficClass: '',
    tenantId: '',
  });
  const [span, setSpan] = useState(() => windowFor(DEFAULT_RANGE, Date.now()));
  const trafficClass = isTrafficClass(filters.trafficClass) ? filters.trafficClass : undefined;
  const tenantId = filters.tenantId || undefined;

  const variables = useMemo(() => ({ ...span, trafficClass, tenantId }), [span, trafficClass, tenantId]);
  // Every window ends at "now", so no two windows share a cache entry: always ask the server.
  const [result, reexecute] = useQuery({ query: OverviewQuery, variables, requestPolicy: 'network-only' });
  const { data, error, fetching } = result;

  const slide = useCallback(() => setSpan(windowFor(filters.range, Date.now())), [filters.range]);
  const refresh = useThrottledRefetch(slide);

  const feedKey = `${tenantId ?? ''}|${trafficClass ?? ''}`;
  const [feedResult] = useSubscription(
    { query: DecisionFeedSubscription, variables: { tenantId } },
    (prev: Feed<FeedEvent> | undefined, event: ResultOf<typeof DecisionFeedSubscription>) => {
      const decision = event.decisionRecorded;
      // The server filters by tenant only; the class filter applies here.
      if (trafficClass && decision.trafficClass !== trafficClass) return prev ?? emptyFeed<FeedEvent>(feedKey);
      return addToFeed(prev, feedKey, decision);
    },
  );
  const feed = feedResult.data?.key === feedKey ? feedResult.data : emptyFeed<FeedEvent>(feedKey);
  const newestId = feed.recent[0]?.id;
  // Decisions made just before the page opened may still be in the writer's buffer: look again once they are written.
  useEffect(() => {
    const later = setTimeout(refresh, ROLLUP_SETTLE_MS);
    return () => clearTimeout(later);
  }, [refresh]);
  useEffect(() => {
    if (!newestId) return;
    refresh();
    // The charts read rollups, which reach the database with the decision writer's next batch: refetch once more after
    // it, or a lone decision would be missing from them until the next one arrives.
    const later = setTimeout(refresh, ROLLUP_SETTLE_MS);
    return () => clearTimeout(later);
  }, [newestId, refresh]);

  const [updatedAt, setUpdatedAt] = useState<string>();
  useEffect(() => {
    if (data) setUpdatedAt(new Date().toISOString());
  }, [data]);

  const modelOf = useMemo(() => {
    const models = new Map(data?.routes.map((r) => [r.id, r.model]));
    return (routeId: string) => (routeId === '' ? 'no route' : (models.get(routeId) ?? routeId));
  }, [data?.routes]);
  const liveCost = useMemo(() => liveCostRows(feed.cost, modelOf), [feed.cost, modelOf]);
  const tenantName = useMemo(() => {
    const names = new Map(data?.tenants.map((t) => [t.id, t.name]));
    return (id: string) => names.get(id) ?? id;
  }, [data?.tenants]);

  const onFilters = (next: OverviewFilterValues) => {
    setFilters(next);
    setSpan(windowFor(next.range, Date.now()));
  };
  const rangeLabel = TIME_RANGES.find((r) => r.id === filters.range)!.label;
  const liveMinutes = Math.round(span.windowMs / 60_000);

  return (
    <>
      <div className="page-header">
        <h1>Overview</h1>
        <div className="actions">
          <p className="notice">
            {feedResult.error ? (
              `Live updates unavailable: ${feedResult.error.message}`
            ) : (
              <>
                <span className="badge ok">live</span> last update {updatedAt ? formatTime(updatedAt) : '–'}
              </>
            )}
          </p>
        </div>
      </div>
      <OverviewFilters values={filters} tenants={data?.tenants ?? []} onChange={onFilters} />
      {error && <ErrorState error={error} retry={() => reexecute({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading what="the overview" />}
      {data && (
        <>
          <section className="panel" aria-labelledby="overview-summary">
            <h2 id="overview-summary">{rangeLabel}</h2>
            <OverviewStats metrics={data.metrics} />
          </section>
          {data.metrics.fallbackActivationRate.requests === 0 ? (
            <Empty>
              No requests in this window yet. Send one to <code>/v1/chat/completions</code> or the <code>complete</code>{' '}
              mutation.
            </Empty>
          ) : (
            <>
              <section className="panel" aria-labelledby="overview-tiers">
                <h2 id="overview-tiers">Tier activation</h2>
                <TierActivationChart
                  metrics={data.metrics}
                  classLabel={trafficClass ? `${trafficClass} class` : 'all classes'}
                />
              </section>
              <section className="panel" aria-labelledby="overview-cost">
                <h2 id="overview-cost">Cost</h2>
                <CostBreakdownCharts metrics={data.metrics} tenantName={tenantName} />
              </section>
              <section className="panel" aria-labelledby="overview-models">
                <h2 id="overview-models">Latency and success by model</h2>
                <ModelHealthCharts metrics={data.metrics} />
              </section>
            </>
          )}
        </>
      )}
      <section className="panel" aria-labelledby="overview-feed">
        <h2 id="overview-feed">Live since this page opened</h2>
        <div className="grid-2">
          <div>
            <h3>Live cost</h3>
            <LiveCostChart data={liveCost} />
          </div>
          <div>
            <h3>Recent decisions</h3>
            <RecentDecisions decisions={feed.recent} />
          </div>
        </div>
      </section>
      {data && (
        <section className="panel" aria-labelledby="overview-instance">
          <h2 id="overview-instance">Live on this instance (last {liveMinutes} min)</h2>
          <p className="notice">
            In-memory totals of this gateway instance across every tenant; the filters above do not apply.
          </p>
          <LiveAggregatesTable live={data.liveMetrics} />
        </section>
      )}
    </>
  );
}

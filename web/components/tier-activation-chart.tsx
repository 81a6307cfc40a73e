import { useMemo } from 'react';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { tierActivationRows } from '../pages/overview-data.js';
import { TimeSeriesChart } from './charts/chart.js';

export const TierActivationChart_MetricsFragment = graphql(`
  fragment TierActivationChart_MetricsFragment on Metrics {
    from
    to
    bucketMinutes
    tierActivation {
      bucketStart
      tiers {
        tier
        requests
      }
    }
  }
`);

/** Requests per tier over the window, stacked: how often traffic fell past the primary, for the chosen class. */
export function TierActivationChart({
  metrics,
  classLabel,
}: {
  metrics: FragmentOf<typeof TierActivationChart_MetricsFragment>;
  /** "all classes" or the traffic class shown. */
  classLabel: string;
}) {
  const m = readFragment(TierActivationChart_MetricsFragment, metrics);
  const { rows, series } = useMemo(() => tierActivationRows(m.tierActivation, m), [m]);
  return (
    <TimeSeriesChart
      kind="stacked-area"
      title={`Tier activation, ${classLabel} (requests per ${m.bucketMinutes} min)`}
      yLabel="requests"
      xLabel="time"
      data={rows}
      series={series}
    />
  );
}

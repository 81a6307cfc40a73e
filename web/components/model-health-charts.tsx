import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { latencyRows, successRateRows } from '../pages/overview-data.js';
import { CategoryBarChart } from './charts/chart.js';

export const ModelHealthCharts_MetricsFragment = graphql(`
  fragment ModelHealthCharts_MetricsFragment on Metrics {
    latencyByModel {
      model
      p50Ms
      p95Ms
    }
    successRateByModel {
      model
      rate
    }
  }
`);

const LATENCY_SERIES = [
  { key: 'p95', label: 'p95' },
  { key: 'p50', label: 'p50' },
];
// Plain milliseconds, not formatMs: ticks switching to seconds would contradict the axis unit.
const wholeMs = (v: number) => Math.round(v).toLocaleString('en-US');
const SUCCESS_SERIES = [{ key: 'successPercent', label: 'success rate' }];

/** Per-model p95 (and p50) latency and success rate over the window. */
export function ModelHealthCharts({ metrics }: { metrics: FragmentOf<typeof ModelHealthCharts_MetricsFragment> }) {
  const m = readFragment(ModelHealthCharts_MetricsFragment, metrics);
  return (
    <div className="grid-2">
      <CategoryBarChart
        title="p95 latency by model"
        yLabel="p95 latency (ms)"
        xLabel="model"
        data={latencyRows(m.latencyByModel)}
        series={LATENCY_SERIES}
        formatY={wholeMs}
      />
      <CategoryBarChart
        title="Success rate by model"
        yLabel="success rate (%)"
        xLabel="model"
        data={successRateRows(m.successRateByModel)}
        series={SUCCESS_SERIES}
        formatY={(v) => `${v.toFixed(1)}%`}
      />
    </div>
  );
}

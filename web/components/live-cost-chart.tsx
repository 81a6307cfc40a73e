import { TimeSeriesChart } from './charts/chart.js';
import { Empty } from './states.js';
import { formatUsd } from '../lib/format.js';
import type { ChartData } from '../pages/overview-data.js';

/**
 * Cost per minute by model, added up in the browser from the live decision feed: the metrics API has no cost time
 * series, so this covers only the time since the page opened.
 */
export function LiveCostChart({ data }: { data: ChartData }) {
  if (data.rows.length === 0)
    return <Empty>No decisions since this page opened; cost appears here as they arrive.</Empty>;
  return (
    <TimeSeriesChart
      kind="line"
      title="Cost per minute by model (live since this page opened)"
      yLabel="cost per minute (USD)"
      xLabel="time"
      data={data.rows}
      series={data.series}
      formatY={formatUsd}
    />
  );
}

import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatUsd } from '../lib/format.js';
import { costRows } from '../pages/overview-data.js';
import { CategoryBarChart } from './charts/chart.js';

export const CostBreakdownCharts_MetricsFragment = graphql(`
  fragment CostBreakdownCharts_MetricsFragment on Metrics {
    costByModel {
      key
      costUsd
    }
    costByTenant {
      key
      costUsd
    }
  }
`);

const COST_SERIES = [{ key: 'costUsd', label: 'cost' }];

/** Spend over the window, by model and by tenant (named when the tenant is known). */
export function CostBreakdownCharts({
  metrics,
  tenantName,
}: {
  metrics: FragmentOf<typeof CostBreakdownCharts_MetricsFragment>;
  tenantName: (id: string) => string;
}) {
  const m = readFragment(CostBreakdownCharts_MetricsFragment, metrics);
  return (
    <div className="grid-2">
      <CategoryBarChart
        title="Cost by model (selected window)"
        yLabel="cost (USD)"
        xLabel="model"
        data={costRows(m.costByModel)}
        series={COST_SERIES}
        formatY={formatUsd}
      />
      <CategoryBarChart
        title="Cost by tenant (selected window)"
        yLabel="cost (USD)"
        xLabel="tenant"
        data={costRows(m.costByTenant, tenantName)}
        series={COST_SERIES}
        formatY={formatUsd}
      />
    </div>
  );
}

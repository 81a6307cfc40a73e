import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatPercent, formatUsd } from '../lib/format.js';
import { successRate, totalCost } from '../pages/overview-data.js';

export const OverviewStats_MetricsFragment = graphql(`
  fragment OverviewStats_MetricsFragment on Metrics {
    fallbackActivationRate {
      requests
      fallbacks
      rate
    }
    tierActivation {
      tiers {
        requests
        successes
      }
    }
    costByClass {
      costUsd
    }
  }
`);

function Stat({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="stat" role="group" aria-label={label}>
      <div className="value">{value}</div>
      <div className="label">
        {label}
        {detail && ` (${detail})`}
      </div>
    </div>
  );
}

/** The window in four numbers: requests, fallback activation rate, success rate and total cost. */
export function OverviewStats({ metrics }: { metrics: FragmentOf<typeof OverviewStats_MetricsFragment> }) {
  const m = readFragment(OverviewStats_MetricsFragment, metrics);
  const { requests, fallbacks, rate } = m.fallbackActivationRate;
  return (
    <div className="stats">
      <Stat label="Requests" value={requests.toLocaleString('en-US')} />
      <Stat label="Fallback activation rate" value={formatPercent(rate)} detail={`${fallbacks} fell back`} />
      <Stat label="Success rate" value={formatPercent(successRate(m.tierActivation))} />
      {/* By class: at most five rows, so the sum is never cut short like the longer breakdowns could be. */}
      <Stat label="Total cost" value={formatUsd(totalCost(m.costByClass))} />
    </div>
  );
}

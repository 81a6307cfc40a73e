import { useId } from 'react';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { TIME_RANGES, TRAFFIC_CLASSES, type TimeRangeId } from '../pages/overview-data.js';

export const OverviewFilters_TenantFragment = graphql(`
  fragment OverviewFilters_TenantFragment on Tenant {
    id
    name
  }
`);

/** What the Overview shows: a time range, one traffic class or all (`''`), one tenant or all (`''`). */
export interface OverviewFilterValues {
  range: TimeRangeId;
  trafficClass: string;
  tenantId: string;
}

interface Props {
  values: OverviewFilterValues;
  tenants: readonly FragmentOf<typeof OverviewFilters_TenantFragment>[];
  onChange(next: OverviewFilterValues): void;
}

/** The Overview's time-range, traffic-class and tenant pickers; every change applies at once. */
export function OverviewFilters({ values, tenants, onChange }: Props) {
  const id = useId();
  const tenantList = tenants.map((t) => readFragment(OverviewFilters_TenantFragment, t));
  return (
    <form className="filters" aria-label="Overview filters" onSubmit={(e) => e.preventDefault()}>
      <div>
        <label htmlFor={`${id}-range`}>Time range</label>
        <select
          id={`${id}-range`}
          value={values.range}
          onChange={(e) => onChange({ ...values, range: e.target.value as TimeRangeId })}
        >
          {TIME_RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-class`}>Traffic class</label>
        <select
          id={`${id}-class`}
          value={values.trafficClass}
          onChange={(e) => onChange({ ...values, trafficClass: e.target.value })}
        >
          <option value="">All classes</option>
          {TRAFFIC_CLASSES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-tenant`}>Tenant</label>
        <select
          id={`${id}-tenant`}
          value={values.tenantId}
          onChange={(e) => onChange({ ...values, tenantId: e.target.value })}
        >
          <option value="">All tenants</option>
          {/* A chosen tenant stays listed while the tenant list reloads, so the control shows what filters the page. */}
          {values.tenantId && !tenantList.some((t) => t.id === values.tenantId) && (
            <option value={values.tenantId}>{values.tenantId}</option>
          )}
          {tenantList.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}

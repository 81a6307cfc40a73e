import { useId, type ChangeEvent, type ReactNode } from 'react';
import { DECISION_OUTCOMES } from '../../shared/contracts/decision.js';
import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import type { FilterIssue, FilterParam, FilterValues } from '../pages/decision-filter.js';

export const DecisionFilters_TenantFragment = graphql(`
  fragment DecisionFilters_TenantFragment on Tenant {
    id
    name
  }
`);

export const DecisionFilters_RouteFragment = graphql(`
  fragment DecisionFilters_RouteFragment on Route {
    id
  }
`);

interface Props {
  tenants: readonly FragmentOf<typeof DecisionFilters_TenantFragment>[];
  routes: readonly FragmentOf<typeof DecisionFilters_RouteFragment>[];
  values: FilterValues;
  issues: readonly FilterIssue[];
  onChange(param: FilterParam, value: string): void;
  onClear(): void;
}

const LABELS: Record<FilterParam, string> = {
  tenant: 'Tenant',
  class: 'Traffic class',
  outcome: 'Outcome',
  route: 'Route',
  degraded: 'Degraded',
  from: 'From',
  to: 'To',
};

/** The decision-log filters; every change applies at once (the page re-queries from the first page). */
export function DecisionFilters({ tenants, routes, values, issues, onChange, onClear }: Props) {
  const id = useId();
  const tenantList = tenants.map((t) => readFragment(DecisionFilters_TenantFragment, t));
  const routeList = routes.map((r) => readFragment(DecisionFilters_RouteFragment, r));
  const issueOf = (param: FilterParam) => issues.find((i) => i.param === param)?.message;

  const field = (param: FilterParam, control: (props: ControlProps) => ReactNode) => {
    const issue = issueOf(param);
    const props: ControlProps = {
      id: `${id}-${param}`,
      value: values[param],
      'aria-invalid': issue ? true : undefined,
      'aria-describedby': issue ? `${id}-${param}-error` : undefined,
      onChange: (e) => onChange(param, e.target.value),
    };
    return (
      <div key={param}>
        <label htmlFor={props.id}>{LABELS[param]}</label>
        {control(props)}
        {issue && (
          <p className="field-error" id={`${id}-${param}-error`} role="alert">
            {issue}
          </p>
        )}
      </div>
    );
  };
  // A linked value the lists no longer hold stays selectable, so the control shows what filters the table.
  const options = (param: FilterParam, list: readonly string[]) => [
    <option key="" value="">
      Any
    </option>,
    ...(values[param] && !list.includes(values[param]) ? [values[param], ...list] : list).map((v) => (
      <option key={v} value={v}>
        {v}
      </option>
    )),
  ];

  return (
    <form className="filters" aria-label="Decision filters" onSubmit={(e) => e.preventDefault()}>
      {field('tenant', (p) => (
        <select {...p}>
          <option value="">Any</option>
          {values.tenant && !tenantList.some((t) => t.id === values.tenant) && (
            <option value={values.tenant}>{values.tenant}</option>
          )}
          {tenantList.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name} ({t.id})
            </option>
          ))}
        </select>
      ))}
      {field('class', (p) => (
        <select {...p}>{options('class', TRAFFIC_CLASSES)}</select>
      ))}
      {field('outcome', (p) => (
        <select {...p}>{options('outcome', DECISION_OUTCOMES)}</select>
      ))}
      {field('route', (p) => (
        <select {...p}>
          {options(
            'route',
            routeList.map((r) => r.id),
          )}
        </select>
      ))}
      {field('degraded', (p) => (
        <select {...p}>
          <option value="">Any</option>
          <option value="yes">Yes</option>
          <option value="no">No</option>
        </select>
      ))}
      {field('from', (p) => (
        <input type="datetime-local" {...p} />
      ))}
      {field('to', (p) => (
        <input type="datetime-local" {...p} />
      ))}
      <div>
        <button type="button" className="secondary" onClick={onClear}>
          Clear filters
        </button>
      </div>
    </form>
  );
}

interface ControlProps {
  id: string;
  value: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
  onChange(e: ChangeEvent<HTMLInputElement | HTMLSelectElement>): void;
}

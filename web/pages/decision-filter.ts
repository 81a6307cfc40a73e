import { DECISION_OUTCOMES, type DecisionOutcome } from '../../shared/contracts/decision.js';
import { TRAFFIC_CLASSES, type TrafficClass } from '../../shared/contracts/policy.js';

/** The decision-log filters as URL search params, so a filtered view can be linked. */
export const FILTER_PARAMS = ['tenant', 'class', 'outcome', 'route', 'degraded', 'from', 'to'] as const;
export type FilterParam = (typeof FILTER_PARAMS)[number];

/** Each filter as its control holds it: '' for "any"; `from`/`to` are datetime-local strings (local time). */
export type FilterValues = Record<FilterParam, string>;

/** The `DecisionFilter` input the server takes; absent fields mean "any". */
export interface DecisionFilterInput {
  tenantId?: string;
  trafficClass?: TrafficClass;
  outcome?: DecisionOutcome;
  routeId?: string;
  degraded?: boolean;
  from?: string;
  to?: string;
}

export interface FilterIssue {
  param: FilterParam;
  message: string;
}

export function readFilterValues(params: URLSearchParams): FilterValues {
  return Object.fromEntries(FILTER_PARAMS.map((p) => [p, params.get(p) ?? ''])) as FilterValues;
}

/** A copy of `params` with one filter set, or removed when `value` is '' (other params are kept). */
export function withFilterValue(params: URLSearchParams, param: FilterParam, value: string): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value) next.set(param, value);
  else next.delete(param);
  return next;
}

/** A copy of `params` without any filter. */
export function withoutFilters(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const p of FILTER_PARAMS) next.delete(p);
  return next;
}

function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

/**
 * The server filter for the controls' values, and what is wrong with them. A value that cannot apply (a hand-edited
 * link, or `to` not after `from`) is left out of the filter and reported, rather than sent to fail on the server.
 */
export function toDecisionFilter(values: FilterValues): { filter: DecisionFilterInput; issues: FilterIssue[] } {
  const filter: DecisionFilterInput = {};
  const issues: FilterIssue[] = [];
  if (values.tenant) filter.tenantId = values.tenant;
  if (values.route) filter.routeId = values.route;
  if (values.class) {
    if (isOneOf(TRAFFIC_CLASSES, values.class)) filter.trafficClass = values.class;
    else issues.push({ param: 'class', message: `Unknown traffic class "${values.class}".` });
  }
  if (values.outcome) {
    if (isOneOf(DECISION_OUTCOMES, values.outcome)) filter.outcome = values.outcome;
    else issues.push({ param: 'outcome', message: `Unknown outcome "${values.outcome}".` });
  }
  if (values.degraded === 'yes') filter.degraded = true;
  else if (values.degraded === 'no') filter.degraded = false;
  const from = isoOf(values.from);
  const to = isoOf(values.to);
  if (values.from && !from) issues.push({ param: 'from', message: 'Not a date and time.' });
  if (values.to && !to) issues.push({ param: 'to', message: 'Not a date and time.' });
  if (from) filter.from = from;
  if (to) {
    if (from && to <= from) issues.push({ param: 'to', message: 'Must be after From.' });
    else filter.to = to;
  }
  return { filter, issues };
}

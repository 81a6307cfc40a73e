import type { AlertRule, AlertRuleInput } from '../contracts/alert.js';
import type { RouteSpec } from '../contracts/route.js';

/** Id of the default rule whose threshold is each route's own `sloP95Ms` (see `routeSloThreshold`). */
export const ROUTE_SLO_RULE_ID = 'default:p95-latency-route';

/** Threshold of the SLO rule for a route without `sloP95Ms`, in milliseconds. */
export const DEFAULT_P95_THRESHOLD_MS = 10_000;

const budgetRule = (percent: number, threshold: number, severity: AlertRuleInput['severity']): AlertRuleInput => ({
  id: `default:budget-${percent}`,
  name: `Budget ${percent}% used`,
  metric: 'budget_used_fraction',
  comparator: 'gt',
  threshold,
  // Budget readings come from the budget store, one per tenant: there is no traffic sample to wait for.
  minSample: 1,
  severity,
});

/**
 * The rules a new install starts with. Per-route rules have an empty scope and fan out to `route:<id>` subjects;
 * budget rules are evaluated per tenant (`tenant:<id>`) and breaker rules per route by the server, which reads those
 * two metrics from its stores. Rates are fractions; 0.9999 stands for "100%" because `gt` needs room above it.
 */
export function defaultAlertRules(): AlertRuleInput[] {
  return [
    {
      id: 'default:error-rate-route',
      name: 'Error rate above 2% on a route',
      metric: 'error_rate',
      windowMs: 300_000,
      comparator: 'gt',
      threshold: 0.02,
      minSample: 20,
      severity: 'warning',
    },
    {
      id: 'default:tier1-success-rate',
      name: 'Tier 1 success rate below 99%',
      metric: 'success_rate',
      scope: { tier: 0 },
      windowMs: 300_000,
      comparator: 'lt',
      threshold: 0.99,
      minSample: 20,
      severity: 'critical',
    },
    {
      id: 'default:fallback-rate',
      name: 'Fallback activation rate above 10%',
      metric: 'fallback_rate',
      windowMs: 300_000,
      comparator: 'gt',
      threshold: 0.1,
      minSample: 20,
      severity: 'warning',
    },
    {
      id: ROUTE_SLO_RULE_ID,
      name: 'p95 latency above the route SLO',
      metric: 'p95_latency_ms',
      windowMs: 300_000,
      comparator: 'gt',
      threshold: DEFAULT_P95_THRESHOLD_MS,
      minSample: 20,
      severity: 'warning',
    },
    budgetRule(70, 0.7, 'info'),
    budgetRule(80, 0.8, 'warning'),
    budgetRule(95, 0.95, 'critical'),
    budgetRule(100, 0.9999, 'critical'),
    {
      id: 'default:breaker-open',
      name: 'Circuit breaker open',
      metric: 'breaker_open',
      windowMs: 60_000,
      comparator: 'gt',
      threshold: 0,
      minSample: 1,
      cooldownMs: 60_000,
      severity: 'critical',
    },
    {
      id: 'default:synthetic-failing',
      name: 'Synthetic check failed twice in a row',
      metric: 'synthetic_failures',
      windowMs: 300_000,
      comparator: 'gt',
      threshold: 1,
      minSample: 1,
      severity: 'critical',
    },
  ];
}

/**
 * Per-subject thresholds for the SLO rule: the route's `sloP95Ms`, in milliseconds, for `route:<id>` subjects of
 * `ROUTE_SLO_RULE_ID`; undefined otherwise, so the rule's own threshold applies. Pass the result as the reading's
 * `threshold` to the alert evaluator.
 * @example const slo = routeSloThreshold(routes); read = (rule, s) => ({ ...live.read(...), threshold: slo(rule, s) });
 */
export function routeSloThreshold(
  routes: readonly RouteSpec[],
): (rule: Pick<AlertRule, 'id'>, subject: string) => number | undefined {
  const slo = new Map(routes.map((r) => [`route:${r.id}`, r.sloP95Ms]));
  return (rule, subject) => (rule.id === ROUTE_SLO_RULE_ID ? slo.get(subject) : undefined);
}

import type { BudgetBand } from '../contracts/budget.js';
import type { CompletionRequest, DegradedReason } from '../contracts/completion.js';
import type { ClassPolicy, DegradeTier, Policy, RoutingStrategy, TrafficClass } from '../contracts/policy.js';
import { QUALITY_CLASSES, type QualityClass, type RouteSpec } from '../contracts/route.js';
import { classAccess } from './budget-guard.js';
import { InvalidPolicyError } from './errors.js';
import { DEFAULT_TIER_TIMEOUTS_MS, resolveClassPolicy } from './policy-matrix.js';
import { estimateCostUsd } from './pricing.js';
import { applyRules } from './routing.js';

export interface PlannedRouteTier {
  kind: 'routes';
  /** Index of the tier in the class policy (0 = primary); a rule-pinned route reports 0. */
  tier: number;
  routes: RouteSpec[];
  strategy: RoutingStrategy;
  timeoutMs: number;
  flagUncertain: boolean;
}
export interface PlannedDegradeTier extends DegradeTier {
  tier: number;
}
export type PlannedTier = PlannedRouteTier | PlannedDegradeTier;

/** What one request will try, in order, and under which constraints. */
export interface RequestPlan {
  trafficClass: TrafficClass;
  classPolicy: ClassPolicy;
  sensitive: boolean;
  /** A sensitive request may not use a route below this quality class. */
  requiredQuality: QualityClass;
  access: ReturnType<typeof classAccess>;
  tiers: PlannedTier[];
  degradedReasons: DegradedReason[];
  /** Routes dropped by the budget downgrade, with the tier they were planned in, for the decision record. */
  downgradedRoutes: { route: RouteSpec; tier: number }[];
  pinnedRoute?: string;
}

export const qualityRank = (q: QualityClass): number => QUALITY_CLASSES.indexOf(q);

/** Turns policy + request + budget band into an ordered plan. Pure: no store is read here. */
export function planRequest(input: {
  policy: Policy;
  request: CompletionRequest;
  tenantId: string;
  routes: ReadonlyMap<string, RouteSpec>;
  band: BudgetBand;
  tierTimeoutsMs?: readonly number[];
}): RequestPlan {
  const { policy, request, routes, band } = input;
  const timeouts = input.tierTimeoutsMs ?? DEFAULT_TIER_TIMEOUTS_MS;
  const ruled = applyRules(policy.rules, request);
  // A route named by the request itself wins over one pinned by a rule.
  if (request.route) ruled.pinnedRoute = request.route;
  const trafficClass = ruled.trafficClass;
  const classPolicy = resolveClassPolicy(policy, trafficClass, {
    tenantId: input.tenantId,
    featureId: request.featureId,
  });
  const sensitive =
    request.sensitive ||
    classPolicy.sensitive ||
    (request.featureId !== undefined && policy.sensitiveFeatures.includes(request.featureId));

  let routeTierCount = 0;
  let tiers: PlannedTier[] = classPolicy.tiers.map((tier, index): PlannedTier => {
    if (tier.kind === 'degrade') return { ...tier, tier: index };
    const position = routeTierCount++;
    return {
      kind: 'routes',
      tier: index,
      routes: tier.routes.map((id) => lookup(routes, id)),
      strategy: tier.strategy,
      timeoutMs: tier.timeoutMs ?? timeouts[Math.min(position, timeouts.length - 1)]!,
      flagUncertain: tier.flagUncertain,
    };
  });

  if (ruled.pinnedRoute) {
    const first = tiers.find((t): t is PlannedRouteTier => t.kind === 'routes');
    tiers = [
      {
        kind: 'routes',
        tier: 0,
        routes: [lookup(routes, ruled.pinnedRoute)],
        strategy: 'ordered',
        timeoutMs: first?.timeoutMs ?? timeouts[0]!,
        flagUncertain: false,
      },
      ...tiers,
    ];
  }

  const routeTiers = tiers.filter((t): t is PlannedRouteTier => t.kind === 'routes');
  const requiredQuality = routeTiers[0]
    ? QUALITY_CLASSES[Math.min(...routeTiers[0].routes.map((r) => qualityRank(r.qualityClass)))]!
    : 'budget';

  const access = classAccess(band, trafficClass);
  const degradedReasons: DegradedReason[] = [];
  const downgradedRoutes: RequestPlan['downgradedRoutes'] = [];
  // Sensitive work is never downgraded to save money: it runs at full quality or fails on the budget itself.
  if (access === 'downgrade' && !sensitive && routeTiers.length > 1) {
    const cost = (t: PlannedRouteTier) =>
      Math.min(...t.routes.map((r) => estimateCostUsd(r, request.messages, request.params)));
    const cheapest = routeTiers.reduce((best, t) => (cost(t) < cost(best) ? t : best));
    const cut = tiers.indexOf(cheapest);
    if (cut > 0) {
      for (const t of tiers.slice(0, cut)) {
        if (t.kind === 'routes') downgradedRoutes.push(...t.routes.map((route) => ({ route, tier: t.tier })));
      }
      tiers = tiers.filter((t, i) => i >= cut || t.kind !== 'routes');
      degradedReasons.push('budget_downgrade');
    }
    tiers = tiers.map((t) => (t.kind === 'routes' ? { ...t, strategy: 'lowest_cost' } : t));
  }

  return {
    trafficClass,
    classPolicy,
    sensitive,
    requiredQuality,
    access,
    tiers,
    degradedReasons,
    downgradedRoutes,
    ...(ruled.pinnedRoute !== undefined && { pinnedRoute: ruled.pinnedRoute }),
  };
}

function lookup(routes: ReadonlyMap<string, RouteSpec>, id: string): RouteSpec {
  const route = routes.get(id);
  // Policies are validated when published; a route removed from the catalogue since then lands here.
  if (!route) throw new InvalidPolicyError([{ path: 'routes', message: `unknown route "${id}"` }]);
  return route;
}

import type { RoutingRule, RoutingStrategy, TrafficClass } from '../contracts/policy.js';
import type { CompletionRequest } from '../contracts/completion.js';
import type { RouteSpec } from '../contracts/route.js';
import type { Random } from './ports.js';

/** What `orderRoutes` needs to know besides the routes themselves. */
export interface RouteOrderContext {
  random: Random;
  /** Observed p50 latency of a route, in milliseconds; undefined when the route has no observations yet. */
  latencyOf: (routeId: string) => number | undefined;
  /** Tokens used to compare prices under `lowest_cost`. Defaults to 1 000 input and 500 output. */
  expectedTokens?: { input: number; output: number };
}

/** The request fields that routing rules can match on. */
export type RuleSubject = Pick<CompletionRequest, 'trafficClass' | 'tags' | 'metadata' | 'featureId'>;

/** The class a request runs under after the rules, and the route a rule pinned, if any. */
export interface RuleOutcome {
  trafficClass: TrafficClass;
  pinnedRoute?: string;
  /** Index of the rule that matched; unset when none did. */
  ruleIndex?: number;
}

const DEFAULT_EXPECTED_TOKENS = { input: 1_000, output: 500 } as const;

/**
 * The order in which a tier tries its routes under `strategy`. Returns a new array with every route in it;
 * the input is never mutated.
 */
export function orderRoutes(strategy: RoutingStrategy, routes: RouteSpec[], ctx: RouteOrderContext): RouteSpec[] {
  switch (strategy) {
    case 'ordered':
      return [...routes];
    case 'weighted':
      return orderByWeight(routes, ctx.random);
    case 'lowest_latency':
      return orderByLatency(routes, ctx.latencyOf);
    case 'lowest_cost':
      return orderByCost(routes, ctx.expectedTokens ?? DEFAULT_EXPECTED_TOKENS);
  }
}

/**
 * Request-based specialization: the first rule whose `when` conditions all match sets the class and/or pins a route.
 * A rule with no conditions matches every request; with no match the request keeps its own class.
 */
export function applyRules(rules: RoutingRule[], request: RuleSubject): RuleOutcome {
  const index = rules.findIndex((rule) => isRuleMatch(rule, request));
  const rule = rules[index];
  if (!rule) return { trafficClass: request.trafficClass };
  return {
    trafficClass: rule.then.trafficClass ?? request.trafficClass,
    ...(rule.then.route !== undefined && { pinnedRoute: rule.then.route }),
    ruleIndex: index,
  };
}

function isRuleMatch(rule: RoutingRule, request: RuleSubject): boolean {
  const { tags, feature, metadata } = rule.when;
  if (tags && !tags.every((tag) => request.tags.includes(tag))) return false;
  if (feature !== undefined && request.featureId !== feature) return false;
  if (metadata) {
    // Own keys only: a rule on `constructor` must not match through the prototype.
    const own = request.metadata;
    if (!Object.entries(metadata).every(([key, value]) => Object.hasOwn(own, key) && own[key] === value)) return false;
  }
  return true;
}

// Weighted draw without replacement: each position is drawn among the routes still left, so a 3:1 pair puts
// the heavy route first 75% of the time and the light one still comes second rather than never.
function orderByWeight(routes: RouteSpec[], random: Random): RouteSpec[] {
  const pool = routes.filter((route) => route.weight > 0);
  const zero = routes.filter((route) => !(route.weight > 0));
  const ordered: RouteSpec[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, route) => sum + route.weight, 0);
    const target = random() * total;
    let cumulative = 0;
    // Float sums can leave `target` a hair above the last bound; the last route then takes it.
    let pick = pool.length - 1;
    for (let i = 0; i < pool.length; i++) {
      cumulative += pool[i]!.weight;
      if (target < cumulative) {
        pick = i;
        break;
      }
    }
    ordered.push(...pool.splice(pick, 1));
  }
  return [...ordered, ...zero];
}

function orderByLatency(routes: RouteSpec[], latencyOf: RouteOrderContext['latencyOf']): RouteSpec[] {
  const known: { route: RouteSpec; latency: number }[] = [];
  const unknown: RouteSpec[] = [];
  for (const route of routes) {
    const latency = latencyOf(route.id);
    if (latency !== undefined && Number.isFinite(latency)) known.push({ route, latency });
    else unknown.push(route);
  }
  // Unmeasured routes go after measured ones: a live request should not be the experiment that measures a
  // route of unknown speed. They stay in the list, so a failover still reaches them, and once reached
  // (or probed by the breaker) they gain observations and take their place by latency.
  known.sort((a, b) => a.latency - b.latency);
  return [...known.map((k) => k.route), ...unknown];
}

function orderByCost(routes: RouteSpec[], tokens: { input: number; output: number }): RouteSpec[] {
  // Array.prototype.sort is stable (ES2019), so equal costs keep the given order.
  return routes
    .map((route) => ({ route, cost: expectedCostUsd(route, tokens) }))
    .sort((a, b) => a.cost - b.cost)
    .map((entry) => entry.route);
}

function expectedCostUsd(route: RouteSpec, tokens: { input: number; output: number }): number {
  return (route.price.inputPerMTok * tokens.input + route.price.outputPerMTok * tokens.output) / 1_000_000;
}

import { z } from 'zod';
import {
  PolicySchema,
  type ClassPolicy,
  type Policy,
  type PolicyInput,
  type TrafficClass,
} from '../contracts/policy.js';
import { RouteSpecSchema, type RouteSpec, type RouteSpecInput } from '../contracts/route.js';
import { InvalidPolicyError } from './errors.js';

/**
 * The default matrix. Each class: its tiers in order, then the hard stop.
 * critical: premium -> same-class other provider -> budget model flagged uncertain; stops after 2 failing providers.
 * non_critical: balanced -> cheaper, other provider -> cached or default answer; stops at the budget cap.
 * internal: low-cost -> other low-cost provider -> queue for retry; stops when the daily budget is used.
 * batch: cheapest acceptable -> pause and resume later -> manual review; stops when the retry budget is used.
 * experiment: test route -> fail fast; no fallback at all.
 */
export const DEFAULT_POLICY: PolicyInput = {
  version: 1,
  classes: {
    critical: {
      tiers: [
        { kind: 'routes', name: 'primary', routes: ['gpt-4o'] },
        { kind: 'routes', name: 'first fallback', routes: ['claude-sonnet-4'] },
        { kind: 'routes', name: 'second fallback', routes: ['gpt-4o-mini'], flagUncertain: true },
      ],
      hardStop: { maxProviderFailures: 2 },
    },
    non_critical: {
      tiers: [
        { kind: 'routes', name: 'primary', routes: ['claude-3-5-haiku'] },
        { kind: 'routes', name: 'first fallback', routes: ['gpt-4.1-mini'] },
        {
          kind: 'degrade',
          name: 'second fallback',
          modes: ['cache', 'default_response'],
          defaultResponse: 'This answer is temporarily unavailable. Please try again in a few minutes.',
        },
      ],
      hardStop: { budget: 'monthly' },
    },
    internal: {
      tiers: [
        { kind: 'routes', name: 'primary', routes: ['gpt-4.1-nano'] },
        { kind: 'routes', name: 'first fallback', routes: ['gemini-2.0-flash'] },
        { kind: 'degrade', name: 'second fallback', modes: ['queue'] },
      ],
      hardStop: { budget: 'daily' },
    },
    batch: {
      tiers: [
        { kind: 'routes', name: 'primary', routes: ['gpt-4.1-nano', 'gemini-2.0-flash'], strategy: 'lowest_cost' },
        { kind: 'degrade', name: 'first fallback', modes: ['pause'] },
        { kind: 'degrade', name: 'second fallback', modes: ['human_review'] },
      ],
      hardStop: { budget: 'retry' },
    },
    experiment: {
      tiers: [
        { kind: 'routes', name: 'primary', routes: ['gpt-4.1'] },
        { kind: 'degrade', name: 'hard stop', modes: ['fail_fast'] },
      ],
      hardStop: { immediate: true },
      retry: { maxRetriesPerRoute: 0, maxRetriesPerTier: 0 },
    },
  },
};

/** Timeouts by route-tier position when a tier sets none, in milliseconds: 20 s, 12 s, then 8 s for the rest. */
export const DEFAULT_TIER_TIMEOUTS_MS = [20_000, 12_000, 8_000] as const;

export interface PolicyIssue {
  path: string;
  message: string;
}

/** Validates a policy's shape (zod) and that every route it names exists in the catalogue. */
export function validatePolicy(
  input: unknown,
  routes: ReadonlyMap<string, RouteSpec>,
): { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] } {
  const parsed = PolicySchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
  }
  const policy = parsed.data;
  const issues: PolicyIssue[] = [];
  const checkTiers = (tiers: ClassPolicy['tiers'] | undefined, prefix: string) =>
    tiers?.forEach((tier, t) => {
      if (tier.kind !== 'routes') return;
      tier.routes.forEach((id, r) => {
        if (!routes.has(id))
          issues.push({ path: `${prefix}.tiers.${t}.routes.${r}`, message: `unknown route "${id}"` });
      });
    });
  for (const [cls, cp] of Object.entries(policy.classes)) checkTiers(cp.tiers, `classes.${cls}`);
  for (const [scope, overrides] of [
    ['tenantOverrides', policy.tenantOverrides],
    ['featureOverrides', policy.featureOverrides],
  ] as const) {
    for (const [key, byClass] of Object.entries(overrides)) {
      for (const [cls, cp] of Object.entries(byClass)) checkTiers(cp?.tiers, `${scope}.${key}.${cls}`);
    }
  }
  policy.rules.forEach((rule, i) => {
    if (rule.then.route && !routes.has(rule.then.route)) {
      issues.push({ path: `rules.${i}.then.route`, message: `unknown route "${rule.then.route}"` });
    }
  });
  return issues.length ? { ok: false, issues } : { ok: true, policy };
}

/** Like `validatePolicy`, but throws `InvalidPolicyError` listing every issue. */
export function assertPolicy(input: unknown, routes: ReadonlyMap<string, RouteSpec>): Policy {
  const result = validatePolicy(input, routes);
  if (!result.ok) throw new InvalidPolicyError(result.issues);
  return result.policy;
}

/** Builds the route catalogue, validating each route. */
export function createRouteCatalog(routes: readonly RouteSpecInput[]): Map<string, RouteSpec> {
  const parsed = z.array(RouteSpecSchema).parse(routes);
  return new Map(parsed.map((r) => [r.id, r]));
}

/** The class policy that applies to one request: the base class, then the tenant's override, then the feature's. */
export function resolveClassPolicy(
  policy: Policy,
  trafficClass: TrafficClass,
  scope: { tenantId: string; featureId?: string | undefined },
): ClassPolicy {
  const base = policy.classes[trafficClass];
  const tenant = policy.tenantOverrides[scope.tenantId]?.[trafficClass];
  const feature = scope.featureId ? policy.featureOverrides[scope.featureId]?.[trafficClass] : undefined;
  return { ...base, ...stripUndefined(tenant), ...stripUndefined(feature) };
}

/** The default policy and route catalogue, parsed. */
export function createDefaultPolicy(routes: readonly RouteSpecInput[]): {
  policy: Policy;
  routes: Map<string, RouteSpec>;
} {
  const catalog = createRouteCatalog(routes);
  return { policy: assertPolicy(DEFAULT_POLICY, catalog), routes: catalog };
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function formatPath(path: PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

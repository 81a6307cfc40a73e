import { describe, expect, it } from 'vitest';
import { AlertRuleSchema } from '../contracts/alert.js';
import { RouteSpecSchema } from '../contracts/route.js';
import { defaultAlertRules, ROUTE_SLO_RULE_ID, routeSloThreshold } from './default-rules.js';

describe('default alert rules', () => {
  it('parse with the rule schema and have unique, stable ids', () => {
    const rules = defaultAlertRules().map((r) => AlertRuleSchema.parse(r));
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(rules.every((r) => r.id.startsWith('default:') && r.enabled && r.tenantId === null)).toBe(true);
    expect(rules.map((r) => r.id)).toContain(ROUTE_SLO_RULE_ID);
  });

  it('cover the budget bands and fire on the second synthetic failure', () => {
    const rules = defaultAlertRules().map((r) => AlertRuleSchema.parse(r));
    const budget = rules.filter((r) => r.metric === 'budget_used_fraction');
    expect(budget.map((r) => [r.comparator, r.threshold])).toEqual([
      ['gt', 0.7],
      ['gt', 0.8],
      ['gt', 0.95],
      ['gt', 0.9999],
    ]);
    expect(rules.find((r) => r.metric === 'synthetic_failures')).toMatchObject({ threshold: 1, minSample: 1 });
    expect(rules.find((r) => r.metric === 'success_rate')).toMatchObject({ scope: { tier: 0 }, threshold: 0.99 });
  });

  it('resolve the SLO rule threshold per route and leave other rules alone', () => {
    const slo = routeSloThreshold([
      RouteSpecSchema.parse({ id: 'fast', provider: 'openai', model: 'gpt-4o-mini', sloP95Ms: 2_000 }),
      RouteSpecSchema.parse({ id: 'plain', provider: 'openai', model: 'gpt-4o' }),
    ]);
    expect(slo({ id: ROUTE_SLO_RULE_ID }, 'route:fast')).toBe(2_000);
    expect(slo({ id: ROUTE_SLO_RULE_ID }, 'route:plain')).toBeUndefined();
    expect(slo({ id: 'default:error-rate-route' }, 'route:fast')).toBeUndefined();
  });
});

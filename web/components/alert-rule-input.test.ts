import { describe, expect, it } from 'vitest';
import { emptyRuleDraft, parseRuleDraft, ruleDraftOf, type RuleDraft } from './alert-rule-input.js';

const draft = (over: Partial<RuleDraft> = {}): RuleDraft => ({
  ...emptyRuleDraft(),
  name: 'Errors',
  threshold: '0.05',
  ...over,
});

describe('parseRuleDraft', () => {
  it('builds the input with numbers, and only the scope fields given', () => {
    expect(parseRuleDraft(draft({ tier: '0', routeId: ' gpt-4o ', tenantId: 'acme' }))).toEqual({
      ok: true,
      input: {
        name: 'Errors',
        metric: 'error_rate',
        comparator: 'gt',
        threshold: 0.05,
        windowMs: 300_000,
        minSample: 20,
        cooldownMs: 300_000,
        severity: 'warning',
        enabled: true,
        tenantId: 'acme',
        scope: { routeId: 'gpt-4o', tier: 0 },
      },
    });
  });

  it('requires a name and a threshold', () => {
    expect(parseRuleDraft(draft({ name: ' ', threshold: '' }))).toEqual({
      ok: false,
      errors: { name: 'Give the rule a name.', threshold: 'Enter a threshold.' },
    });
  });

  it('keeps rate thresholds between 0 and 1, and allows latency in ms above that', () => {
    const result = parseRuleDraft(draft({ threshold: '5' }));
    expect(result.ok === false && result.errors.threshold).toMatch(/between 0 and 1/);
    expect(parseRuleDraft(draft({ metric: 'p95_latency_ms', threshold: '2500' })).ok).toBe(true);
    const negative = parseRuleDraft(draft({ metric: 'p95_latency_ms', threshold: '-1' }));
    expect(negative.ok === false && negative.errors.threshold).toBe('A latency threshold cannot be negative.');
  });

  it('allows only the 1 min, 5 min and 1 h windows, and whole samples and cooldowns', () => {
    const result = parseRuleDraft(draft({ windowMs: '120000', minSample: '1.5', cooldownMs: '-1', tier: 'x' }));
    expect(result.ok === false && Object.keys(result.errors).sort()).toEqual([
      'cooldownMs',
      'minSample',
      'tier',
      'windowMs',
    ]);
  });

  it('round-trips a stored rule, keeping a scope tenant the form does not show', () => {
    const rule = {
      name: 'Slow',
      metric: 'p95_latency_ms' as const,
      comparator: 'gt' as const,
      threshold: 3000,
      windowMs: 60_000,
      minSample: 5,
      cooldownMs: 0,
      severity: 'critical' as const,
      enabled: false,
      tenantId: null,
      scope: { routeId: null, model: 'gpt-4o', trafficClass: 'critical' as const, tenantId: 'acme', tier: null },
    };
    const result = parseRuleDraft(ruleDraftOf(rule));
    expect(result.ok && result.input).toEqual({
      ...rule,
      tenantId: undefined,
      scope: { model: 'gpt-4o', trafficClass: 'critical', tenantId: 'acme' },
    });
  });
});

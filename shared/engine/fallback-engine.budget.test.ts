import { describe, expect, it } from 'vitest';
import type { BudgetSettings } from '../contracts/budget.js';
import { CompletionRequestSchema, type Usage } from '../contracts/completion.js';
import { TRAFFIC_CLASSES, type PolicyInput } from '../contracts/policy.js';
import { ask, createEngineHarness, type HarnessOptions, rejection } from '../testing/engine-harness.js';
import { isBackstopError, type BackstopError } from './errors.js';
import { DEFAULT_MAX_OUTPUT_TOKENS, estimateCostUsd, estimateTokens } from './pricing.js';

const budget = (monthlyLimitUsd: number, over: Partial<BudgetSettings> = {}): Record<string, BudgetSettings> => ({
  t1: { monthlyLimitUsd, prepaidBalanceUsd: null, dailyLimitUsd: null, retryBudgetPerDay: null, ...over },
});

type Harness = ReturnType<typeof createEngineHarness>;

/** Books earlier spend for t1 the way the engine does: hold, then charge. */
async function spend(h: Harness, usd: number): Promise<void> {
  await h.budgetStore.reserve({ tenantId: 't1', reservationId: 'earlier-spend', amountUsd: usd, daily: false });
  await h.budgetStore.settle('earlier-spend', usd);
}

/** A harness whose tenant t1 has used `percent` of a 100 USD monthly budget. */
async function atPercentUsed(percent: number, options: Omit<HarnessOptions, 'budgets'> = {}): Promise<Harness> {
  const h = createEngineHarness({ ...options, budgets: budget(100) });
  await spend(h, percent);
  return h;
}

// The default non_critical fallback (claude-3-5-haiku, 0.80/4.00) costs more than its primary (gpt-4.1-mini,
// 0.40/1.60), and internal's two tiers cost the same; these policies give both classes a genuinely cheaper tier.
const cheaperFallbacks = (p: PolicyInput): PolicyInput => {
  p.classes.non_critical.tiers = [
    { kind: 'routes', name: 'primary', routes: ['claude-3-5-haiku'] },
    { kind: 'routes', name: 'cheaper', routes: ['gpt-4.1-mini'] },
    { kind: 'degrade', modes: ['cache', 'default_response'], defaultResponse: 'Try again later.' },
  ];
  p.classes.internal.tiers = [
    { kind: 'routes', name: 'primary', routes: ['gpt-4.1-mini'] },
    { kind: 'routes', name: 'cheaper', routes: ['gpt-4.1-nano'] },
    { kind: 'degrade', modes: ['queue'] },
  ];
  return p;
};

const priced = (h: Harness, routeId: string, usage: Usage): number => {
  const { inputPerMTok, outputPerMTok } = h.routes.get(routeId)!.price;
  return (usage.inputTokens * inputPerMTok + usage.outputTokens * outputPerMTok) / 1_000_000;
};

describe('below 70% of the monthly budget', () => {
  it('answers from the primary without marking the answer degraded', async () => {
    const h = await atPercentUsed(69, { policy: cheaperFallbacks });
    const r = await h.run(ask('non_critical'));
    expect(r).toMatchObject({ routeId: 'claude-3-5-haiku', tier: 0, degraded: false, degradedReasons: [] });
    expect(h.decisions[0]!.budgetBand).toBe('normal');
    expect(h.decisions[0]!.attempts.map((a) => a.outcome)).toEqual(['success']);
  });

  it('runs the full fallback chain, primary first, when the primary fails', async () => {
    const h = await atPercentUsed(69, { policy: cheaperFallbacks });
    h.providers.always('claude-3-5-haiku', { fail: 'server_error' });
    h.providers.always('gpt-4.1-mini', { fail: 'server_error' });
    const r = await h.run(ask('non_critical'));
    expect(r).toMatchObject({ source: 'default_response', tier: 2 });
    expect(r.degradedReasons).not.toContain('budget_downgrade');
    expect(h.providers.calls.map((c) => c.routeId)).toEqual([
      'claude-3-5-haiku',
      'claude-3-5-haiku',
      'gpt-4.1-mini',
      'gpt-4.1-mini',
    ]);
  });
});

describe('70-80% of the monthly budget: downgrade band', () => {
  it('starts non_critical at its cheaper tier and records the skipped primary', async () => {
    const h = await atPercentUsed(75, { policy: cheaperFallbacks });
    const r = await h.run(ask('non_critical'));
    expect(r).toMatchObject({ routeId: 'gpt-4.1-mini', tier: 1, degraded: true });
    expect(r.degradedReasons).toEqual(['budget_downgrade']);
    expect(h.providers.callsTo('claude-3-5-haiku')).toBe(0);
    const d = h.decisions[0]!;
    expect(d).toMatchObject({ budgetBand: 'downgrade', outcome: 'degraded', originalRouteId: 'claude-3-5-haiku' });
    expect(d.degradedReasons).toContain('budget_downgrade');
    expect(d.attempts[0]).toMatchObject({
      routeId: 'claude-3-5-haiku',
      tier: 0,
      outcome: 'skipped',
      skipReason: 'budget_downgrade',
    });
  });

  it('moves non_critical to a cheaper route under the default policy', async () => {
    const h = await atPercentUsed(75);
    const r = await h.run(ask('non_critical'));
    const primary = h.routes.get('claude-3-5-haiku')!;
    const used = h.routes.get(r.routeId!)!;
    expect(r.routeId).toBe('gpt-4.1-mini');
    expect(r.degradedReasons).toContain('budget_downgrade');
    expect(used.price.outputPerMTok).toBeLessThan(primary.price.outputPerMTok);
  });

  it('leaves critical on its premium primary', async () => {
    const h = await atPercentUsed(75, { policy: cheaperFallbacks });
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({ routeId: 'gpt-4o', tier: 0, degraded: false });
    expect(h.decisions[0]).toMatchObject({ budgetBand: 'downgrade', outcome: 'success' });
  });

  it('leaves internal on its primary until the conserve band', async () => {
    const h = await atPercentUsed(79, { policy: cheaperFallbacks });
    expect(await h.run(ask('internal'))).toMatchObject({ routeId: 'gpt-4.1-mini', tier: 0, degraded: false });
  });

  it('does not downgrade a sensitive request', async () => {
    const h = await atPercentUsed(75, { policy: cheaperFallbacks });
    const r = await h.run(ask('non_critical', { sensitive: true }));
    expect(r).toMatchObject({ routeId: 'claude-3-5-haiku', tier: 0, degraded: false });
    expect(h.decisions[0]!.attempts.filter((a) => a.skipReason === 'budget_downgrade')).toEqual([]);
  });
});

describe('80-95% of the monthly budget: conserve band', () => {
  it('downgrades internal as well as non_critical', async () => {
    const h = await atPercentUsed(85, { policy: cheaperFallbacks });
    const internal = await h.run(ask('internal'));
    const nonCritical = await h.run(ask('non_critical'));
    expect(internal).toMatchObject({ routeId: 'gpt-4.1-nano', tier: 1, degradedReasons: ['budget_downgrade'] });
    expect(nonCritical).toMatchObject({ routeId: 'gpt-4.1-mini', tier: 1, degradedReasons: ['budget_downgrade'] });
    expect(h.decisions[0]!.attempts[0]).toMatchObject({ routeId: 'gpt-4.1-mini', skipReason: 'budget_downgrade' });
  });

  it.each(['internal', 'batch', 'experiment'] as const)(
    'does not mark %s degraded when its cheapest route tier is already first (default policy)',
    async (trafficClass) => {
      const h = await atPercentUsed(85);
      const r = await h.run(ask(trafficClass));
      expect(r).toMatchObject({ tier: 0, degraded: false, degradedReasons: [] });
      expect(h.decisions[0]).toMatchObject({ budgetBand: 'conserve', outcome: 'success' });
      expect(h.decisions[0]!.attempts.every((a) => a.outcome !== 'skipped')).toBe(true);
    },
  );

  it('leaves critical untouched', async () => {
    const h = await atPercentUsed(90);
    expect(await h.run(ask('critical'))).toMatchObject({ routeId: 'gpt-4o', tier: 0, degraded: false });
  });

  it('records each downgraded route under the tier it was planned in', async () => {
    const h = await atPercentUsed(85, {
      policy: (p) => {
        p.classes.internal.tiers = [
          { kind: 'routes', routes: ['gpt-4o'] },
          { kind: 'routes', routes: ['gpt-4.1-mini'] },
          { kind: 'routes', routes: ['gpt-4.1-nano'] },
        ];
        return p;
      },
    });
    const r = await h.run(ask('internal'));
    expect(r).toMatchObject({ routeId: 'gpt-4.1-nano', tier: 2 });
    const skipped = h.decisions[0]!.attempts.filter((a) => a.skipReason === 'budget_downgrade');
    expect(skipped.map((a) => [a.routeId, a.tier])).toEqual([
      ['gpt-4o', 0],
      ['gpt-4.1-mini', 1],
    ]);
  });
});

describe('95-100% of the monthly budget: critical_only band', () => {
  it.each(['batch', 'experiment', 'non_critical', 'internal'] as const)(
    'blocks %s with BUDGET_BAND_BLOCKED before any provider call',
    async (trafficClass) => {
      const h = await atPercentUsed(96);
      const error = await rejection(h.run(ask(trafficClass)));
      expect(error.code).toBe('BUDGET_BAND_BLOCKED');
      expect(error.message).toMatch(new RegExp(`${trafficClass} traffic is paused .* critical_only band`));
      expect(h.providers.calls).toHaveLength(0);
      expect(h.decisions[0]).toMatchObject({ outcome: 'failed', errorCode: 'BUDGET_BAND_BLOCKED' });
    },
  );

  it('still runs critical at full quality', async () => {
    const h = await atPercentUsed(99);
    expect(await h.run(ask('critical'))).toMatchObject({ routeId: 'gpt-4o', tier: 0, degraded: false });
    expect(h.decisions[0]!.budgetBand).toBe('critical_only');
  });
});

describe('100% of the monthly budget and empty prepaid balances', () => {
  it.each(TRAFFIC_CLASSES)(
    'fails %s with QUOTA_EXHAUSTED naming the monthly budget, without a provider call',
    async (trafficClass) => {
      const h = await atPercentUsed(100);
      const error = await rejection(h.run(ask(trafficClass)));
      expect(error.code).toBe('QUOTA_EXHAUSTED');
      expect(error.message).toBe('the monthly budget of tenant t1 is exhausted');
      expect(h.providers.calls).toHaveLength(0);
      expect(h.decisions[0]).toMatchObject({ budgetBand: 'exhausted', errorCode: 'QUOTA_EXHAUSTED' });
    },
  );

  it('stops with QUOTA_EXHAUSTED rather than call a pricier fallback the remaining budget cannot cover', async () => {
    // 0.0015 USD left: enough for a gpt-4.1-mini reservation (~0.0008), not for claude-3-5-haiku (~0.0021).
    const h = createEngineHarness({
      budgets: budget(0.003),
      policy: (p) => {
        p.classes.non_critical.tiers = [
          { kind: 'routes', routes: ['gpt-4.1-mini'] },
          { kind: 'routes', routes: ['claude-3-5-haiku'] },
        ];
        return p;
      },
    });
    await spend(h, 0.0015);
    h.providers.always('gpt-4.1-mini', { fail: 'server_error' });
    const error = await rejection(h.run(ask('non_critical')));
    expect(error.code).toBe('QUOTA_EXHAUSTED');
    expect(error.message).toMatch(/monthly budget/);
    expect(h.providers.callsTo('gpt-4.1-mini')).toBe(2);
    expect(h.providers.callsTo('claude-3-5-haiku')).toBe(0);
  });

  it('fails with QUOTA_EXHAUSTED naming the prepaid balance when it is used up', async () => {
    const h = createEngineHarness({ budgets: budget(100, { prepaidBalanceUsd: 0 }) });
    const error = await rejection(h.run(ask('critical')));
    expect(error.code).toBe('QUOTA_EXHAUSTED');
    expect(error.message).toBe('the prepaid budget of tenant t1 is exhausted');
    expect(h.providers.calls).toHaveLength(0);
  });

  it('fails with QUOTA_EXHAUSTED naming the prepaid balance when it cannot cover the next call', async () => {
    const h = createEngineHarness({ budgets: budget(100, { prepaidBalanceUsd: 0.001 }) });
    const error = await rejection(h.run(ask('critical')));
    expect(error.message).toBe('the prepaid budget of tenant t1 is exhausted');
    expect(h.providers.calls).toHaveLength(0);
  });
});

describe('charging', () => {
  it('charges the actual cost from usage and the route price, then releases the reservation', async () => {
    const h = createEngineHarness({ budgets: budget(100) });
    const usage = { inputTokens: 1_200, outputTokens: 300 };
    h.providers.always('gpt-4o', { result: { usage } });
    const r = await h.run(ask('critical'));
    const snapshot = await h.budgetStore.snapshot('t1');
    expect(r.costUsd).toBe(priced(h, 'gpt-4o', usage));
    expect(snapshot).toMatchObject({ spentUsd: h.decisions[0]!.totalCostUsd, reservedUsd: 0 });
  });

  it('holds the estimated cost while the call is in flight', async () => {
    const h = createEngineHarness({ budgets: budget(100) });
    h.providers.always('gpt-4o', { delayMs: 1_000 });
    const request = CompletionRequestSchema.parse(ask('critical'));
    const pending = h.engine.complete({ tenantId: 't1', policy: h.policy, request });
    await h.clock.advance(500);
    const held = estimateCostUsd(h.routes.get('gpt-4o')!, request.messages, request.params);
    expect(await h.budgetStore.snapshot('t1')).toMatchObject({ spentUsd: 0, reservedUsd: held });
    await h.clock.run(pending);
    expect(await h.budgetStore.snapshot('t1')).toMatchObject({ reservedUsd: 0 });
  });

  it('charges nothing for calls that failed with a provider error', async () => {
    const h = createEngineHarness({ budgets: budget(100) });
    h.providers.always('gpt-4o', { fail: 'server_error' });
    const r = await h.run(ask('critical'));
    const d = h.decisions[0]!;
    expect(r.routeId).toBe('claude-sonnet-4');
    expect(d.attempts.filter((a) => a.routeId === 'gpt-4o').map((a) => a.costUsd)).toEqual([0, 0]);
    expect(await h.budgetStore.snapshot('t1')).toMatchObject({
      spentUsd: priced(h, 'claude-sonnet-4', { inputTokens: 10, outputTokens: 5 }),
      reservedUsd: 0,
    });
  });

  it('charges nothing and holds nothing when every call failed', async () => {
    const h = createEngineHarness({ budgets: budget(100) });
    h.providers.always('gpt-4.1-mini', { fail: 'server_error' });
    h.providers.always('claude-3-5-haiku', { hang: true });
    const r = await h.run(ask('non_critical'));
    expect(r.source).toBe('default_response');
    expect(await h.budgetStore.snapshot('t1')).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
  });

  it('charges an answer that a quality guard rejected', async () => {
    const h = createEngineHarness({ budgets: budget(100) });
    const usage = { inputTokens: 40, outputTokens: 0 };
    h.providers.always('gpt-4o', { answer: '', result: { usage } });
    const r = await h.run(ask('critical'));
    const d = h.decisions[0]!;
    expect(r.routeId).toBe('claude-sonnet-4');
    expect(d.attempts[0]).toMatchObject({
      routeId: 'gpt-4o',
      outcome: 'failure',
      failureKind: 'low_quality',
      costUsd: priced(h, 'gpt-4o', usage),
    });
    const snapshot = await h.budgetStore.snapshot('t1');
    expect(snapshot!.spentUsd).toBeCloseTo(d.totalCostUsd, 12);
    expect(snapshot!.spentUsd).toBeGreaterThan(priced(h, 'claude-sonnet-4', { inputTokens: 10, outputTokens: 5 }));
    expect(snapshot!.reservedUsd).toBe(0);
  });
});

describe('concurrent requests', () => {
  it('never spends past a budget only a few requests wide; the rest fail with QUOTA_EXHAUSTED', async () => {
    const request = CompletionRequestSchema.parse(ask('critical'));
    const h0 = createEngineHarness();
    const perRequest = estimateCostUsd(h0.routes.get('gpt-4o')!, request.messages, request.params);
    const limit = 3.5 * perRequest;
    const h = createEngineHarness({ budgets: budget(limit) });
    // The provider bills exactly what was reserved, so every successful request uses its full hold.
    const usage = { inputTokens: estimateTokens(request.messages), outputTokens: DEFAULT_MAX_OUTPUT_TOKENS };
    h.providers.always('gpt-4o', { delayMs: 100, result: { usage } });

    const results = await h.clock.run(
      Promise.allSettled(
        Array.from({ length: 50 }, () => h.engine.complete({ tenantId: 't1', policy: h.policy, request })),
      ),
    );

    const answered = results.filter((r) => r.status === 'fulfilled');
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as BackstopError] : []));
    expect(answered).toHaveLength(3);
    expect(failed).toHaveLength(47);
    expect(failed.every((e) => isBackstopError(e) && e.code === 'QUOTA_EXHAUSTED')).toBe(true);
    expect(h.providers.calls.map((c) => c.routeId)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o']);
    const snapshot = (await h.budgetStore.snapshot('t1'))!;
    expect(snapshot.spentUsd).toBeLessThanOrEqual(limit);
    expect(snapshot.spentUsd).toBeCloseTo(3 * perRequest, 12);
    expect(snapshot.reservedUsd).toBe(0);
    expect(h.decisions).toHaveLength(50);
  });
});

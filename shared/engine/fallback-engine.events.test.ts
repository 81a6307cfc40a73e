import { describe, expect, it } from 'vitest';
import type { AttemptRecord, Decision } from '../contracts/decision.js';
import { ask, budgetSettings, collect, createEngineHarness, rejection } from '../testing/engine-harness.js';
import type { BreakEvent, BudgetDeniedEvent, FallbackEvent } from './events.js';

describe('events', () => {
  it('emits onAttempt once per attempt, skips included, in decision order', async () => {
    const h = createEngineHarness();
    const seen = collect<{ decisionId: string; attempt: AttemptRecord }>(h.engine.events.onAttempt);
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    await rejection(h.run(ask('critical', { sensitive: true })));
    const d = h.decisions[0]!;
    expect(seen).toHaveLength(5);
    expect(seen.map((e) => e.attempt)).toEqual(d.attempts);
    expect(seen.every((e) => e.decisionId === d.id)).toBe(true);
    expect(seen.at(-1)!.attempt.skipReason).toBe('sensitive_quality');
  });

  it('emits onFallback with the tiers, the route left and the failure that caused it', async () => {
    const h = createEngineHarness();
    const seen = collect<FallbackEvent>(h.engine.events.onFallback);
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'rate_limited' });
    const r = await h.run(ask('critical'));
    expect(seen).toEqual([
      { decisionId: r.decisionId, fromTier: 0, toTier: 1, fromRouteId: 'gpt-4o', reason: 'server_error' },
      { decisionId: r.decisionId, fromTier: 1, toTier: 2, fromRouteId: 'claude-sonnet-4', reason: 'rate_limited' },
    ]);
  });

  it('emits no onFallback when the primary answers', async () => {
    const h = createEngineHarness();
    const seen = collect<FallbackEvent>(h.engine.events.onFallback);
    await h.run(ask('critical'));
    expect(seen).toEqual([]);
  });

  it('emits onDecision with the decision the sink recorded', async () => {
    const h = createEngineHarness();
    const seen = collect<Decision>(h.engine.events.onDecision);
    await h.run(ask('non_critical'));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(h.decisions[0]);
  });

  it('emits onBudgetDenied naming the budget on a quota error', async () => {
    const h = createEngineHarness({
      budgets: { t1: budgetSettings(0), prepaid: budgetSettings(100, { prepaidBalanceUsd: 0.001 }) },
    });
    const seen = collect<BudgetDeniedEvent>(h.engine.events.onBudgetDenied);
    const monthly = await rejection(h.run(ask('critical')));
    const prepaid = await rejection(h.run(ask('critical'), { tenantId: 'prepaid' }));
    expect([monthly.code, prepaid.code]).toEqual(['QUOTA_EXHAUSTED', 'QUOTA_EXHAUSTED']);
    expect(seen).toEqual([
      { decisionId: h.decisions[0]!.id, tenantId: 't1', budget: 'monthly', band: 'exhausted' },
      { decisionId: h.decisions[1]!.id, tenantId: 'prepaid', budget: 'prepaid', band: 'normal' },
    ]);
  });

  it('emits onBudgetDenied with budget "band" when the band blocks the class', async () => {
    const h = createEngineHarness({ budgets: { t1: budgetSettings(100) } });
    await h.budgetStore.reserve({ tenantId: 't1', reservationId: 'earlier', amountUsd: 97, daily: false });
    await h.budgetStore.settle('earlier', 97);
    const seen = collect<BudgetDeniedEvent>(h.engine.events.onBudgetDenied);
    await rejection(h.run(ask('experiment')));
    expect(seen).toEqual([{ decisionId: h.decisions[0]!.id, tenantId: 't1', budget: 'band', band: 'critical_only' }]);
  });

  it('emits onBreak when a breaker opens', async () => {
    const h = createEngineHarness({ engine: { breakerOptions: { consecutiveFailures: 2 } } });
    const seen = collect<BreakEvent>(h.engine.events.onBreak);
    h.providers.always('gpt-4o', { fail: 'server_error', delayMs: 10 });
    await h.run(ask('critical'));
    expect(seen).toEqual([
      {
        routeId: 'gpt-4o',
        from: 'closed',
        to: 'open',
        reason: 'consecutive_failures',
        atMs: h.decisions[0]!.attempts[1]!.startedAtMs + 10,
      },
    ]);
  });

  it('answers normally when every listener throws', async () => {
    const h = createEngineHarness({ engine: { breakerOptions: { consecutiveFailures: 2 } } });
    const boom = () => {
      throw new Error('listener bug');
    };
    const { onAttempt, onFallback, onBreak, onBudgetDenied, onDecision } = h.engine.events;
    [onAttempt, onFallback, onBreak, onBudgetDenied, onDecision].forEach((event) => event(boom));
    const after = collect<Decision>(onDecision);
    h.providers.always('gpt-4o', { fail: 'server_error' });
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({ status: 'answered', routeId: 'claude-sonnet-4' });
    expect(h.decisions).toHaveLength(1);
    expect(after).toHaveLength(1);
  });

  it('answers normally, and still emits onDecision, when the decision sink throws', async () => {
    const h = createEngineHarness({
      engine: {
        decisionSink: {
          record: () => {
            throw new Error('sink down');
          },
        },
      },
    });
    const seen = collect<Decision>(h.engine.events.onDecision);
    expect(await h.run(ask('critical'))).toMatchObject({ status: 'answered', routeId: 'gpt-4o' });
    expect(seen).toHaveLength(1);
  });

  it('keeps the typed error, not the sink error, when a failing request meets a throwing sink', async () => {
    const h = createEngineHarness({
      budgets: { t1: budgetSettings(0) },
      engine: {
        decisionSink: {
          record: () => {
            throw new Error('sink down');
          },
        },
      },
    });
    expect((await rejection(h.run(ask('critical')))).code).toBe('QUOTA_EXHAUSTED');
  });
});

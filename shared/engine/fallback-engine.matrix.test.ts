import { describe, expect, it } from 'vitest';
import { ask, createEngineHarness, rejection } from '../testing/engine-harness.js';

describe('critical: premium -> other provider -> budget flagged uncertain -> hard stop after 2 providers', () => {
  it('answers from the premium primary when it is healthy', async () => {
    const h = createEngineHarness();
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({
      status: 'answered',
      routeId: 'gpt-4o',
      tier: 0,
      degraded: false,
      uncertain: false,
      attempts: 1,
    });
    expect(h.decisions[0]).toMatchObject({ outcome: 'success', originalRouteId: 'gpt-4o', finalRouteId: 'gpt-4o' });
  });

  it('moves to the same-class model of another provider when the primary fails', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4o', { fail: 'server_error' });
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({
      routeId: 'claude-sonnet-4',
      provider: 'anthropic',
      tier: 1,
      degraded: true,
      uncertain: false,
    });
    expect(r.degradedReasons).toEqual(['fallback']);
  });

  it('answers from the budget model flagged uncertain when both premium providers fail', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'overloaded' });
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({ routeId: 'gpt-4o-mini', tier: 2, uncertain: true });
    expect(r.degradedReasons).toEqual(['fallback', 'uncertain']);
  });

  it('stops before a third provider once two providers have failed', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.critical.tiers.push({ kind: 'routes', routes: ['gemini-2.0-flash'] });
        return p;
      },
    });
    for (const id of ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini']) h.providers.always(id, { fail: 'server_error' });
    const error = await rejection(h.run(ask('critical')));
    expect(error.code).toBe('ALL_TIERS_FAILED');
    expect(error.message).toMatch(/hard stop: 2 providers failed/);
    expect(h.providers.callsTo('gemini-2.0-flash')).toBe(0);
    expect(h.decisions[0]!.attempts.at(-1)).toMatchObject({
      routeId: 'gemini-2.0-flash',
      skipReason: 'provider_limit',
    });
  });

  it('fails clearly rather than serving a cached or default answer when every tier fails', async () => {
    const h = createEngineHarness();
    await h.run(ask('critical'));
    for (const id of ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini']) h.providers.always(id, { fail: 'server_error' });
    const error = await rejection(h.run(ask('critical')));
    expect(error.code).toBe('ALL_TIERS_FAILED');
    expect(h.decisions[1]).toMatchObject({ outcome: 'failed', errorCode: 'ALL_TIERS_FAILED', finalRouteId: null });
  });
});

describe('non_critical: balanced -> cheaper -> cached or default -> hard stop at budget cap', () => {
  it('moves to the cheaper model when the balanced one fails', async () => {
    const h = createEngineHarness();
    h.providers.always('claude-3-5-haiku', { fail: 'timeout' });
    expect(await h.run(ask('non_critical'))).toMatchObject({ routeId: 'gpt-4.1-mini', tier: 1 });
  });

  it('serves the exact cached answer when both models fail', async () => {
    const h = createEngineHarness();
    await h.run(ask('non_critical'));
    h.providers.always('claude-3-5-haiku', { fail: 'server_error' });
    h.providers.always('gpt-4.1-mini', { fail: 'server_error' });
    const r = await h.run(ask('non_critical'));
    expect(r).toMatchObject({
      source: 'cache',
      content: 'ok from claude-3-5-haiku',
      routeId: 'claude-3-5-haiku',
      tier: 2,
      degraded: true,
    });
    expect(r.degradedReasons).toContain('cache');
  });

  it('serves the configured default answer, flagged uncertain, when nothing is cached', async () => {
    const h = createEngineHarness();
    h.providers.always('claude-3-5-haiku', { fail: 'server_error' });
    h.providers.always('gpt-4.1-mini', { fail: 'server_error' });
    const r = await h.run(ask('non_critical'));
    expect(r).toMatchObject({ source: 'default_response', uncertain: true, degraded: true });
    expect(r.content).toMatch(/temporarily unavailable/);
    expect(h.decisions[0]!.outcome).toBe('degraded');
  });

  it('ends with a quota error at the budget cap', async () => {
    const h = createEngineHarness({
      budgets: { t1: { monthlyLimitUsd: 0, prepaidBalanceUsd: null, dailyLimitUsd: null, retryBudgetPerDay: null } },
    });
    const error = await rejection(h.run(ask('non_critical')));
    expect(error.code).toBe('QUOTA_EXHAUSTED');
    expect(error.message).toMatch(/monthly budget of tenant t1/);
    expect(h.providers.calls).toHaveLength(0);
  });
});

describe('internal: low-cost -> other low-cost provider -> queue -> hard stop on the daily budget', () => {
  it('moves to the other low-cost provider', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4.1-nano', { fail: 'network' });
    expect(await h.run(ask('internal'))).toMatchObject({ routeId: 'gemini-2.0-flash', provider: 'google' });
  });

  it('queues the request for a later retry and returns the job id', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4.1-nano', { fail: 'server_error' });
    h.providers.always('gemini-2.0-flash', { fail: 'server_error' });
    const r = await h.run(ask('internal'));
    expect(r).toMatchObject({
      status: 'queued',
      source: 'queue',
      jobId: 'job-1',
      degradedReasons: ['queued'],
    });
    expect(h.workQueue.jobs[0]).toMatchObject({ kind: 'retry', tenantId: 't1', decisionId: r.decisionId });
    expect(h.decisions[0]).toMatchObject({ outcome: 'queued', jobId: 'job-1' });
  });

  it('stops with a quota error naming the daily budget when it is used up', async () => {
    const h = createEngineHarness({
      budgets: { t1: { monthlyLimitUsd: 100, prepaidBalanceUsd: null, dailyLimitUsd: 0, retryBudgetPerDay: null } },
    });
    const error = await rejection(h.run(ask('internal')));
    expect(error.code).toBe('QUOTA_EXHAUSTED');
    expect(error.message).toMatch(/daily budget/);
  });
});

describe('batch: cheapest -> pause and resume later -> manual review -> hard stop on the retry budget', () => {
  it('uses the cheapest acceptable route of its tier', async () => {
    const h = createEngineHarness();
    const r = await h.run(ask('batch', { params: { maxTokens: 100 } }));
    expect(['gpt-4.1-nano', 'gemini-2.0-flash']).toContain(r.routeId);
    expect(r.tier).toBe(0);
  });

  it('pauses the request for a later resume when its routes fail', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4.1-nano', { fail: 'auth' });
    h.providers.always('gemini-2.0-flash', { fail: 'auth' });
    const r = await h.run(ask('batch'));
    expect(r).toMatchObject({ status: 'queued', degradedReasons: ['paused'] });
    expect(h.workQueue.jobs[0]!.kind).toBe('resume');
  });

  it('hands the request to manual review when it cannot be paused', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.batch.tiers.splice(1, 1);
        return p;
      },
    });
    h.providers.always('gpt-4.1-nano', { fail: 'auth' });
    h.providers.always('gemini-2.0-flash', { fail: 'auth' });
    const r = await h.run(ask('batch'));
    expect(r).toMatchObject({
      status: 'in_review',
      source: 'human_review',
      degradedReasons: ['human_review'],
    });
    expect(h.workQueue.jobs[0]!.kind).toBe('review');
  });

  it('stops with a quota error once the retry budget is used', async () => {
    const h = createEngineHarness({
      budgets: { t1: { monthlyLimitUsd: 100, prepaidBalanceUsd: null, dailyLimitUsd: null, retryBudgetPerDay: 1 } },
    });
    h.providers.always('gpt-4.1-nano', { fail: 'server_error' });
    h.providers.always('gemini-2.0-flash', { fail: 'server_error' });
    const error = await rejection(h.run(ask('batch')));
    expect(error.code).toBe('QUOTA_EXHAUSTED');
    expect(error.message).toMatch(/retry budget/);
  });
});

describe('experiment: test route -> no fallback -> fail fast immediately', () => {
  it('answers from the test route', async () => {
    const h = createEngineHarness();
    expect(await h.run(ask('experiment'))).toMatchObject({ routeId: 'gpt-4.1', degraded: false });
  });

  it('fails on the first failure with one call and no retry', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4.1', { fail: 'server_error' });
    const error = await rejection(h.run(ask('experiment')));
    expect(error.code).toBe('ALL_TIERS_FAILED');
    expect(h.providers.calls).toHaveLength(1);
  });
});

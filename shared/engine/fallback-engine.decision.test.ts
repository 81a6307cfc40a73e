import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema, type CompletionRequestInput } from '../contracts/completion.js';
import type { AttemptRecord, Decision } from '../contracts/decision.js';
import { ask, budgetSettings, collect, createEngineHarness, rejection } from '../testing/engine-harness.js';
import { DEFAULT_ROUTES } from './default-routes.js';
import { isBackstopError, type BackstopError } from './errors.js';
import type { CompleteInput } from './fallback-engine.js';
import { createRouteCatalog } from './policy-matrix.js';

type Harness = ReturnType<typeof createEngineHarness>;

/** `engine.complete` with the fields the harness `run` does not pass (requestId), driven by the fake clock. */
const complete = (h: Harness, request: CompletionRequestInput, extra: Partial<Omit<CompleteInput, 'request'>> = {}) =>
  h.clock.run(
    h.engine.complete({ tenantId: 't1', policy: h.policy, request: CompletionRequestSchema.parse(request), ...extra }),
  );

describe('attempt records', () => {
  it('carries tier, route, provider, model, outcome, failure detail, retry, breaker state, timing, tokens and cost', async () => {
    const h = createEngineHarness();
    h.providers.script(
      'gpt-4o',
      { fail: { kind: 'overloaded', message: 'busy', status: 529, providerCode: 'overloaded_error' }, delayMs: 300 },
      { fail: 'server_error', delayMs: 250 },
    );
    h.providers.script('claude-sonnet-4', { delayMs: 400, result: { usage: { inputTokens: 100, outputTokens: 50 } } });
    const startedAtMs = h.clock.now();
    await h.run(ask('critical'));
    const [first, second, third] = h.decisions[0]!.attempts as [AttemptRecord, AttemptRecord, AttemptRecord];

    expect(first).toEqual({
      index: 0,
      tier: 0,
      routeId: 'gpt-4o',
      provider: 'openai',
      model: 'gpt-4o',
      outcome: 'failure',
      failureKind: 'overloaded',
      status: 529,
      providerCode: 'overloaded_error',
      retry: 0,
      breakerState: 'closed',
      startedAtMs,
      latencyMs: 300,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    });
    expect(second).toMatchObject({ index: 1, tier: 0, routeId: 'gpt-4o', failureKind: 'server_error', retry: 1 });
    expect(second).not.toHaveProperty('status');
    expect(second).not.toHaveProperty('providerCode');
    // Equal-jitter backoff before retry 1: between 100 and 200 ms.
    const backoff = second.startedAtMs - (startedAtMs + 300);
    expect(backoff).toBeGreaterThanOrEqual(100);
    expect(backoff).toBeLessThanOrEqual(200);
    expect(second.latencyMs).toBe(250);
    expect(third).toEqual({
      index: 2,
      tier: 1,
      routeId: 'claude-sonnet-4',
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      outcome: 'success',
      retry: 0,
      breakerState: 'closed',
      startedAtMs: second.startedAtMs + 250,
      latencyMs: 400,
      inputTokens: 100,
      outputTokens: 50,
      costUsd: (100 * 3 + 50 * 15) / 1_000_000,
    });
  });

  it('records the tokens and cost of an answer a quality guard rejected', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4o', { answer: '   ', result: { usage: { inputTokens: 20, outputTokens: 2 } } });
    await h.run(ask('critical'));
    expect(h.decisions[0]!.attempts[0]).toMatchObject({
      outcome: 'failure',
      failureKind: 'low_quality',
      inputTokens: 20,
      outputTokens: 2,
      costUsd: (20 * 2.5 + 2 * 10) / 1_000_000,
    });
  });

  describe('breaker state', () => {
    const tripped = async () => {
      const h = createEngineHarness({ engine: { breakerOptions: { consecutiveFailures: 2 } } });
      h.providers.script('gpt-4o', { fail: 'server_error' }, { fail: 'server_error' });
      await h.run(ask('critical'));
      return h;
    };

    it('records breakerState open for a route skipped because its circuit is open', async () => {
      const h = await tripped();
      await h.run(ask('critical'));
      expect(h.decisions[1]!.attempts[0]).toMatchObject({
        routeId: 'gpt-4o',
        outcome: 'skipped',
        skipReason: 'circuit_open',
        breakerState: 'open',
      });
    });

    it('records breakerState half_open for the probe after the cooldown', async () => {
      const h = await tripped();
      await h.clock.advance(30_000);
      const r = await h.run(ask('critical'));
      expect(r.routeId).toBe('gpt-4o');
      expect(h.decisions[1]!.attempts[0]).toMatchObject({ outcome: 'success', breakerState: 'half_open' });
    });
  });
});

describe('the final decision', () => {
  it('uses the requestId as its id and carries tenant, user, app, feature and workflow ids', async () => {
    const h = createEngineHarness();
    const r = await complete(
      h,
      ask('critical', { userId: 'u-7', appId: 'app-web', featureId: 'checkout', workflowId: 'wf-9' }),
      { tenantId: 'acme', requestId: 'req-42' },
    );
    expect(r.decisionId).toBe('req-42');
    expect(h.decisions[0]).toMatchObject({
      id: 'req-42',
      tenantId: 'acme',
      userId: 'u-7',
      appId: 'app-web',
      featureId: 'checkout',
      workflowId: 'wf-9',
      trafficClass: 'critical',
      policyVersion: 1,
      sensitive: false,
      budgetBand: 'normal',
    });
  });

  it('names original and final route and sums latency, cost and tokens over every attempt', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4o', {
      answer: '',
      delayMs: 1_000,
      result: { usage: { inputTokens: 30, outputTokens: 0 } },
    });
    h.providers.always('claude-sonnet-4', { delayMs: 500, result: { usage: { inputTokens: 40, outputTokens: 20 } } });
    const startedAtMs = h.clock.now();
    const r = await h.run(ask('critical'));
    const d = h.decisions[0]!;
    expect(d).toMatchObject({
      outcome: 'degraded',
      originalRouteId: 'gpt-4o',
      finalRouteId: 'claude-sonnet-4',
      finalTier: 1,
      degraded: true,
      degradedReasons: ['fallback'],
      startedAtMs,
      totalLatencyMs: 1_500,
      inputTokens: 70,
      outputTokens: 20,
    });
    expect(d.totalCostUsd).toBeCloseTo((30 * 2.5) / 1e6 + (40 * 3 + 20 * 15) / 1e6, 15);
    expect(r).toMatchObject({ costUsd: d.totalCostUsd, latencyMs: 1_500, attempts: 2, decisionId: d.id });
  });

  it('records exactly one decision per request, for answers, deferrals and every kind of failure', async () => {
    const h = createEngineHarness({ budgets: { broke: budgetSettings(0), tight: budgetSettings(100) } });
    await h.budgetStore.reserve({ tenantId: 'tight', reservationId: 'earlier', amountUsd: 96, daily: false });
    await h.budgetStore.settle('earlier', 96);
    const announced = collect<Decision>(h.engine.events.onDecision);
    const twice = (id: string, kind: 'server_error') => h.providers.script(id, { fail: kind }, { fail: kind });

    const ids: string[] = [];
    const errorCodes: (string | undefined)[] = [];
    const attempt = async (request: CompletionRequestInput, tenantId = 't1') => {
      try {
        ids.push((await h.run(request, { tenantId })).decisionId);
        errorCodes.push(undefined);
      } catch (e) {
        if (!isBackstopError(e)) throw e;
        ids.push((e as BackstopError & { decisionId: string }).decisionId);
        errorCodes.push(e.code);
      }
    };
    await attempt(ask('critical'));
    twice('gpt-4o', 'server_error');
    await attempt(ask('critical'));
    twice('gpt-4.1-nano', 'server_error');
    twice('gemini-2.0-flash', 'server_error');
    await attempt(ask('internal'));
    await attempt(ask('critical'), 'broke');
    await attempt(ask('batch'), 'tight');
    twice('claude-3-5-haiku', 'server_error');
    twice('gpt-4.1-mini', 'server_error');
    await attempt(ask('non_critical', { sensitive: true }));
    h.providers.script('gpt-4.1', { fail: 'bad_request' });
    await attempt(ask('experiment'));
    h.providers.script('gpt-4.1', { fail: 'server_error' });
    await attempt(ask('experiment'));

    expect(errorCodes).toEqual([
      undefined,
      undefined,
      undefined,
      'QUOTA_EXHAUSTED',
      'BUDGET_BAND_BLOCKED',
      'DOWNGRADE_FORBIDDEN',
      'REQUEST_REJECTED',
      'ALL_TIERS_FAILED',
    ]);
    expect(h.decisions.map((d) => d.id)).toEqual(ids);
    expect(new Set(ids).size).toBe(8);
    expect(h.decisions.map((d) => d.outcome)).toEqual([
      'success',
      'degraded',
      'queued',
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
    expect(h.decisions.map((d) => d.errorCode)).toEqual(errorCodes);
    expect(announced).toEqual(h.decisions);
  });

  it('records a failed decision when the policy names a route missing from the catalogue', async () => {
    const h = createEngineHarness({
      engine: { routes: createRouteCatalog(DEFAULT_ROUTES.filter((r) => r.id !== 'gpt-4.1-mini')) },
    });
    const error = await rejection(h.run(ask('non_critical')));
    expect(error.code).toBe('INVALID_POLICY');
    expect(h.decisions).toHaveLength(1);
    expect(h.decisions[0]).toMatchObject({ outcome: 'failed', errorCode: 'INVALID_POLICY' });
  });
});

describe('privacy', () => {
  it('keeps prompt, answer and provider error text out of every decision', async () => {
    const prompt = 'Patient Jane Roe, born 1984-02-03, asks about her warfarin dose';
    const answer = 'Take 5 mg of warfarin each evening';
    const request = ask('non_critical', {
      messages: [
        { role: 'system', content: 'You are a careful assistant.' },
        { role: 'user', content: prompt },
      ],
    });
    const h = createEngineHarness();
    const seen = collect<Decision>(h.engine.events.onDecision);
    h.providers.script('claude-3-5-haiku', { answer });
    await h.run(request);
    h.providers.always('claude-3-5-haiku', { fail: { kind: 'server_error', message: `upstream echoed: ${prompt}` } });
    h.providers.always('gpt-4.1-mini', { answer: `I'm sorry. ${answer}`, result: { finishReason: 'length' } });
    const cached = await h.run(request);
    expect(cached.source).toBe('cache');
    h.providers.always('claude-3-5-haiku', { fail: { kind: 'bad_request', message: `rejected: ${prompt}` } });
    await rejection(h.run(request));

    expect(seen).toHaveLength(3);
    for (const decision of seen) {
      const text = JSON.stringify(decision);
      for (const secret of ['Jane Roe', 'warfarin', 'careful assistant', '5 mg']) expect(text).not.toContain(secret);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { FailureKind } from '../contracts/decision.js';
import type { PolicyInput } from '../contracts/policy.js';
import { ask, createEngineHarness } from '../testing/engine-harness.js';
import { isBackstopError } from './errors.js';

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (isBackstopError(e) ? e.code : `untyped: ${String(e)}`),
  );

/** non_critical with its tiers replaced. */
const tiers =
  (...routeTiers: string[][]) =>
  (p: PolicyInput): PolicyInput => {
    p.classes.non_critical.tiers = routeTiers.map((routes) => ({ kind: 'routes' as const, routes }));
    return p;
  };

describe('failure kinds drive retry, fallback or stop', () => {
  it.each(['timeout', 'rate_limited', 'server_error', 'overloaded', 'network', 'stream_interrupted'] as FailureKind[])(
    'retries the same route once after %s',
    async (kind) => {
      const h = createEngineHarness();
      h.providers.script('claude-3-5-haiku', { fail: kind });
      const r = await h.run(ask('non_critical'));
      expect(r).toMatchObject({ routeId: 'claude-3-5-haiku', attempts: 2, degraded: false });
      expect(h.decisions[0]!.attempts.map((a) => [a.retry, a.outcome])).toEqual([
        [0, 'failure'],
        [1, 'success'],
      ]);
    },
  );

  it.each(['auth', 'quota_exhausted', 'not_found', 'schema_validation', 'unsupported', 'unknown'] as FailureKind[])(
    'moves to the next tier without retrying after %s',
    async (kind) => {
      const h = createEngineHarness();
      h.providers.script('claude-3-5-haiku', { fail: kind });
      const r = await h.run(ask('non_critical'));
      expect(r.routeId).toBe('gpt-4.1-mini');
      expect(h.providers.callsTo('claude-3-5-haiku')).toBe(1);
    },
  );

  it.each(['bad_request', 'content_policy'] as FailureKind[])('stops with one call after %s', async (kind) => {
    const h = createEngineHarness();
    h.providers.always('claude-3-5-haiku', { fail: kind });
    expect(await codeOf(h.run(ask('non_critical')))).toBe('REQUEST_REJECTED');
    expect(h.providers.calls).toHaveLength(1);
  });

  it('treats an empty answer as low quality and moves to the next tier', async () => {
    const h = createEngineHarness();
    h.providers.script('claude-3-5-haiku', { answer: '   ' });
    const r = await h.run(ask('non_critical'));
    expect(r.routeId).toBe('gpt-4.1-mini');
    expect(h.decisions[0]!.attempts[0]).toMatchObject({ failureKind: 'low_quality' });
  });

  it('treats an answer that misses the requested JSON schema as low quality', async () => {
    const h = createEngineHarness();
    h.providers.script('claude-3-5-haiku', { answer: '{"city": 3}' });
    h.providers.script('gpt-4.1-mini', { answer: '{"city": "Paris"}' });
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const r = await h.run(ask('non_critical', { responseSchema: schema }));
    expect(r).toMatchObject({ routeId: 'gpt-4.1-mini', content: '{"city": "Paris"}' });
  });

  it('treats a content-filter finish as the end of the request', async () => {
    const h = createEngineHarness();
    h.providers.always('claude-3-5-haiku', { result: { finishReason: 'content_filter', content: '' } });
    expect(await codeOf(h.run(ask('non_critical')))).toBe('REQUEST_REJECTED');
  });

  it('moves a context-length failure only to a route with a larger window', async () => {
    const h = createEngineHarness({ policy: tiers(['gpt-4o'], ['gpt-4o-mini'], ['claude-sonnet-4']) });
    h.providers.script('gpt-4o', { fail: 'context_length' });
    const r = await h.run(ask('non_critical'));
    expect(r.routeId).toBe('claude-sonnet-4');
    expect(h.providers.callsTo('gpt-4o-mini')).toBe(0);
    expect(h.decisions[0]!.attempts[1]).toMatchObject({ routeId: 'gpt-4o-mini', skipReason: 'context_window' });
  });

  it('skips a route whose window cannot hold the prompt, without a call', async () => {
    const h = createEngineHarness({ policy: tiers(['gpt-4o'], ['claude-3-5-haiku']) });
    const r = await h.run({ messages: [{ role: 'user', content: 'x'.repeat(4 * 130_000) }] });
    expect(r.routeId).toBe('claude-3-5-haiku');
    expect(h.providers.callsTo('gpt-4o')).toBe(0);
  });
});

describe('retries and backoff', () => {
  it('retries the same route once by default, then falls back', async () => {
    const h = createEngineHarness();
    h.providers.always('claude-3-5-haiku', { fail: 'server_error' });
    await h.run(ask('non_critical'));
    expect(h.providers.callsTo('claude-3-5-haiku')).toBe(2);
  });

  it('waits exactly the Retry-After the provider asked for', async () => {
    const h = createEngineHarness();
    h.providers.script('claude-3-5-haiku', { fail: { kind: 'rate_limited', message: '429', retryAfterMs: 1500 } });
    await h.run(ask('non_critical'));
    const [first, second] = h.providers.calls;
    expect(second!.atMs - first!.atMs).toBe(1500);
  });

  it('backs off with jitter between half and all of the capped exponential delay', async () => {
    const h = createEngineHarness();
    h.providers.script('claude-3-5-haiku', { fail: 'server_error' });
    await h.run(ask('non_critical'));
    const gap = h.providers.calls[1]!.atMs - h.providers.calls[0]!.atMs;
    expect(gap).toBeGreaterThanOrEqual(100);
    expect(gap).toBeLessThanOrEqual(200);
  });

  it('skips straight to the next tier instead of sleeping out a long Retry-After', async () => {
    const h = createEngineHarness();
    h.providers.script('claude-3-5-haiku', { fail: { kind: 'rate_limited', message: '429', retryAfterMs: 30_000 } });
    const start = h.clock.now();
    const r = await h.run(ask('non_critical'));
    expect(r.routeId).toBe('gpt-4.1-mini');
    expect(h.providers.calls[1]!.atMs).toBe(start);
  });

  it('sleeps out a long Retry-After when no other tier can take over and it fits the retry time', async () => {
    const h = createEngineHarness({ policy: tiers(['claude-3-5-haiku']) });
    h.providers.script('claude-3-5-haiku', { fail: { kind: 'rate_limited', message: '429', retryAfterMs: 5_000 } });
    const r = await h.run(ask('non_critical'));
    expect(r.routeId).toBe('claude-3-5-haiku');
    expect(h.providers.calls[1]!.atMs - h.providers.calls[0]!.atMs).toBe(5_000);
  });

  it('does not retry when the Retry-After exceeds the total retry time', async () => {
    const h = createEngineHarness({ policy: tiers(['claude-3-5-haiku']) });
    h.providers.always('claude-3-5-haiku', { fail: { kind: 'rate_limited', message: '429', retryAfterMs: 120_000 } });
    expect(await codeOf(h.run(ask('non_critical')))).toBe('ALL_TIERS_FAILED');
    expect(h.providers.calls).toHaveLength(1);
  });

  it('caps retries per tier across its routes', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.non_critical.tiers = [{ kind: 'routes', routes: ['gpt-4o', 'claude-3-5-haiku', 'gpt-4o-mini'] }];
        p.classes.non_critical.retry = { maxRetriesPerRoute: 2, maxRetriesPerTier: 3 };
        return p;
      },
    });
    for (const id of ['gpt-4o', 'claude-3-5-haiku', 'gpt-4o-mini']) h.providers.always(id, { fail: 'server_error' });
    await codeOf(h.run(ask('non_critical')));
    const retries = h.decisions[0]!.attempts.filter((a) => a.retry > 0);
    expect(retries).toHaveLength(3);
    expect(h.providers.calls).toHaveLength(6);
  });

  it('caps the total time slept between retries', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.non_critical.tiers = [{ kind: 'routes', routes: ['claude-3-5-haiku'] }];
        p.classes.non_critical.retry = { maxRetriesPerRoute: 10, maxRetriesPerTier: 10, maxRetryTimeMs: 2_500 };
        return p;
      },
    });
    h.providers.always('claude-3-5-haiku', { fail: { kind: 'overloaded', message: '529', retryAfterMs: 1_000 } });
    await codeOf(h.run(ask('non_critical')));
    expect(h.providers.calls).toHaveLength(3);
  });
});

describe('timeouts and deadline', () => {
  it('times out each tier at 20 s, 12 s and 8 s and cancels the attempt', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.critical.retry = { maxRetriesPerRoute: 0 };
        p.classes.critical.deadlineMs = 120_000;
        return p;
      },
    });
    for (const id of ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini']) h.providers.always(id, { hang: true });
    expect(await codeOf(h.run(ask('critical')))).toBe('ALL_TIERS_FAILED');
    const attempts = h.decisions[0]!.attempts;
    expect(attempts.map((a) => [a.latencyMs, a.failureKind])).toEqual([
      [20_000, 'timeout'],
      [12_000, 'timeout'],
      [8_000, 'timeout'],
    ]);
    expect(h.providers.calls.every((c) => c.aborted)).toBe(true);
  });

  it('ends at the request deadline, with the last attempt cut to the time left', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.critical.deadlineMs = 30_000;
        return p;
      },
    });
    for (const id of ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini']) h.providers.always(id, { hang: true });
    const start = h.clock.now();
    expect(await codeOf(h.run(ask('critical')))).toBe('DEADLINE_EXCEEDED');
    expect(h.clock.now() - start).toBeLessThanOrEqual(30_000);
    expect(h.decisions[0]).toMatchObject({ outcome: 'failed', errorCode: 'DEADLINE_EXCEEDED' });
  });

  it('stops everything when the caller cancels', async () => {
    const h = createEngineHarness();
    h.providers.always('claude-3-5-haiku', { hang: true });
    const controller = new AbortController();
    h.clock.setTimeout(() => controller.abort(new DOMException('client went away', 'AbortError')), 1_000);
    expect(await codeOf(h.run(ask('non_critical'), { signal: controller.signal }))).toBe('ALL_TIERS_FAILED');
    expect(h.providers.calls).toHaveLength(1);
    expect(h.providers.calls[0]!.aborted).toBe(true);
  });
});

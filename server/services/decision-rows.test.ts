import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { attempts, decisions } from '../../drizzle/schema/index.js';
import type { AttemptRecord } from '../../shared/contracts/decision.js';
import { LATENCY_BOUNDS_MS } from '../../shared/engine/circuit-breaker.js';
import { testDatabases } from '../../test/support/databases.js';
import { T0, attempt, decision, decisionWriterHarness } from '../../test/support/decision-writer-harness.js';

describe.each(await testDatabases())('decision rows written by createDecisionWriter ($name)', ({ open }) => {
  const harness = decisionWriterHarness(open);
  const { setup, idsOf, attemptCount, rollupsOf, counts } = harness;
  const db = () => harness.handle().db;

  it('writes a batch of decisions, their attempts, privacy extras and per-minute rollups', async () => {
    const { writer, tenantId } = setup();
    writer.record(decision(tenantId, `${tenantId}-a`), { promptHash: 'h1', promptChars: 42 });
    writer.record(decision(tenantId, `${tenantId}-b`, { totalLatencyMs: 15, startedAtMs: T0 + 30_000 }));
    writer.record(
      decision(tenantId, `${tenantId}-c`, {
        outcome: 'degraded',
        finalRouteId: 'haiku',
        finalTier: 1,
        degraded: true,
        degradedReasons: ['fallback'],
        totalLatencyMs: 2_500,
        totalCostUsd: 0.0005,
        attempts: [
          attempt({ outcome: 'failure', failureKind: 'timeout', status: 504, costUsd: 0 }),
          attempt({
            index: 1,
            tier: 1,
            routeId: 'haiku',
            provider: 'anthropic',
            model: 'claude-haiku',
            costUsd: 0.0005,
          }),
        ],
      }),
      { content: { prompt: 'user: [REDACTED]', answer: null } },
    );
    await writer.flush();

    expect(await idsOf(tenantId)).toEqual([`${tenantId}-a`, `${tenantId}-b`, `${tenantId}-c`]);
    expect(await attemptCount(tenantId)).toBe(4);
    const [a] = await db()
      .select()
      .from(decisions)
      .where(eq(decisions.id, `${tenantId}-a`));
    expect(a).toMatchObject({ promptHash: 'h1', promptChars: 42, content: null, startedAt: new Date(T0) });
    const [c] = await db()
      .select()
      .from(decisions)
      .where(eq(decisions.id, `${tenantId}-c`));
    expect(c).toMatchObject({ degradedReasons: ['fallback'], attemptCount: 2, content: { answer: null } });
    expect(await rollupsOf(tenantId)).toEqual([
      expect.objectContaining({
        bucketStart: new Date(T0),
        routeId: 'gpt-4o',
        model: 'gpt-4o',
        tier: 0,
        requests: 2,
        successes: 2,
        fallbacks: 0,
        degraded: 0,
        costUsd: 0.002,
        latencyCounts: counts([1, 1], [6, 1]),
      }),
      expect.objectContaining({
        routeId: 'haiku',
        model: 'claude-haiku',
        tier: 1,
        requests: 1,
        fallbacks: 1,
        degraded: 1,
      }),
    ]);
  });

  it('stores every field of a decision and of its attempts in its own column', async () => {
    const { writer, tenantId } = setup();
    const id = `${tenantId}-full`;
    const tried = attempt({
      index: 0,
      outcome: 'failure',
      failureKind: 'rate_limited',
      status: 429,
      providerCode: 'rate_limit_exceeded',
      retry: 2,
      breakerState: 'half_open',
      startedAtMs: T0 + 5,
      latencyMs: 12.6,
      inputTokens: 3,
      outputTokens: 0,
      costUsd: 0,
    });
    const skipped = attempt({ index: 1, tier: 1, routeId: 'haiku', outcome: 'skipped', skipReason: 'circuit_open' });
    writer.record(
      decision(tenantId, id, {
        userId: 'u1',
        appId: 'app1',
        featureId: 'f1',
        workflowId: 'w1',
        jobId: 'job1',
        canaryId: 'can1',
        canaryArm: 'canary',
        errorCode: 'ALL_TIERS_FAILED',
        outcome: 'failed',
        finalRouteId: null,
        finalTier: null,
        sensitive: true,
        budgetBand: 'conserve',
        policyVersion: 7,
        totalLatencyMs: 33.4,
        totalCostUsd: 0.25,
        inputTokens: 5,
        outputTokens: 6,
        attempts: [tried, skipped],
      }),
      { promptHash: 'h', promptChars: 9, content: { prompt: 'user: hi', answer: 'yo' } },
    );
    await writer.flush();

    const [row] = await db().select().from(decisions).where(eq(decisions.id, id));
    expect(row).toEqual({
      id,
      tenantId,
      trafficClass: 'critical',
      policyVersion: 7,
      outcome: 'failed',
      sensitive: true,
      originalRouteId: 'gpt-4o',
      finalRouteId: null,
      finalTier: null,
      degraded: false,
      degradedReasons: [],
      errorCode: 'ALL_TIERS_FAILED',
      budgetBand: 'conserve',
      totalLatencyMs: 33,
      totalCostUsd: 0.25,
      inputTokens: 5,
      outputTokens: 6,
      attemptCount: 2,
      userId: 'u1',
      appId: 'app1',
      featureId: 'f1',
      workflowId: 'w1',
      jobId: 'job1',
      canaryId: 'can1',
      canaryArm: 'canary',
      promptHash: 'h',
      promptChars: 9,
      content: { prompt: 'user: hi', answer: 'yo' },
      startedAt: new Date(T0),
    });
    const rows = await db().select().from(attempts).where(eq(attempts.decisionId, id)).orderBy(attempts.index);
    const expected = (a: AttemptRecord) => {
      const { startedAtMs, latencyMs, ...fields } = a;
      return {
        skipReason: null,
        failureKind: null,
        status: null,
        providerCode: null,
        ...fields,
        decisionId: id,
        startedAt: new Date(startedAtMs),
        latencyMs: Math.round(latencyMs),
      };
    };
    expect(rows).toEqual([expected(tried), expected(skipped)]);
  });

  it('merges counts and latency histograms into an existing rollup row', async () => {
    const { writer, tenantId } = setup();
    writer.record(decision(tenantId, `${tenantId}-1`, { totalLatencyMs: 5 }));
    await writer.flush();
    writer.record(
      decision(tenantId, `${tenantId}-2`, { totalLatencyMs: 5, outcome: 'failed', finalRouteId: 'gpt-4o' }),
    );
    writer.record(decision(tenantId, `${tenantId}-3`, { totalLatencyMs: 200_000 }));
    await writer.flush();
    const [row] = await rollupsOf(tenantId);
    expect(row).toMatchObject({
      requests: 3,
      successes: 2,
      latencyCounts: counts([0, 2], [LATENCY_BOUNDS_MS.length, 1]),
    });
  });

  it('writes a decision whose caller-supplied ids hold lone surrogates, made well-formed', async () => {
    const { writer, drops, tenantId } = setup();
    writer.record(decision(tenantId, `${tenantId}-odd`, { userId: 'user-\ud800', featureId: 'caf\u00e9 \u{1f600}' }));
    await writer.flush();
    const [row] = await db()
      .select({ userId: decisions.userId, featureId: decisions.featureId })
      .from(decisions)
      .where(eq(decisions.id, `${tenantId}-odd`));
    expect(row).toEqual({ userId: 'user-\ufffd', featureId: 'caf\u00e9 \u{1f600}' });
    expect(drops).toEqual([]);
  });
});

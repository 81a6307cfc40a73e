import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptRecord } from '../../shared/testing/decision-fixtures.js';
import type { Database, DatabaseHandle } from '../../drizzle/client.js';
import { attempts, decisionRollups, decisions } from '../../drizzle/schema/index.js';
import type { AttemptRecord, Decision } from '../../shared/contracts/decision.js';
import { LATENCY_BOUNDS_MS } from '../../shared/engine/circuit-breaker.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { createDecisionWriter, type DecisionWriterOptions } from './decision-writer.js';

const T0 = Date.UTC(2026, 0, 1, 12);

const attempt = (over: Partial<AttemptRecord> = {}) => attemptRecord({ startedAtMs: T0, latencyMs: 420, ...over });

function decision(tenantId: string, id: string, over: Partial<Decision> = {}): Decision {
  return {
    id,
    tenantId,
    trafficClass: 'critical',
    policyVersion: 1,
    sensitive: false,
    outcome: 'success',
    originalRouteId: 'gpt-4o',
    finalRouteId: 'gpt-4o',
    finalTier: 0,
    degraded: false,
    degradedReasons: [],
    budgetBand: 'normal',
    attempts: [attempt()],
    startedAtMs: T0,
    totalLatencyMs: 420,
    totalCostUsd: 0.001,
    inputTokens: 10,
    outputTokens: 20,
    ...over,
  };
}

/** The writer's view of the database, with a switch that makes it unreachable and a way to lose commit acks. */
function flaky(db: Database) {
  const state = { down: false, lostAcks: 0, transactions: 0 };
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
      return async (fn: Parameters<Database['transaction']>[0]) => {
        state.transactions++;
        if (state.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        const result = await target.transaction(fn);
        if (state.lostAcks > 0) {
          state.lostAcks--;
          throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        }
        return result;
      };
    },
  });
  return { db: proxy, state };
}

describe.each(await testDatabases())('createDecisionWriter ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  let seq = 0;
  const tenant = () => `writer-${++seq}`;

  beforeAll(async () => {
    handle = await open();
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
  });

  function setup(options: Partial<DecisionWriterOptions> = {}) {
    const clock = createFakeClock(T0);
    const { db, state } = flaky(handle.db);
    const errors: unknown[] = [];
    const drops: number[] = [];
    const writer = createDecisionWriter({
      db,
      clock,
      onError: (e) => errors.push(e),
      onDrop: (n) => drops.push(n),
      ...options,
    });
    return { clock, state, writer, errors, drops, tenantId: tenant() };
  }

  const idsOf = async (tenantId: string) =>
    (await handle.db.select({ id: decisions.id }).from(decisions).where(eq(decisions.tenantId, tenantId)))
      .map((r) => r.id)
      .sort();
  const attemptCount = async (tenantId: string) => {
    const [row] = await handle.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(attempts)
      .innerJoin(decisions, eq(decisions.id, attempts.decisionId))
      .where(eq(decisions.tenantId, tenantId));
    return row?.n ?? 0;
  };
  const rollupsOf = (tenantId: string) =>
    handle.db
      .select()
      .from(decisionRollups)
      .where(eq(decisionRollups.tenantId, tenantId))
      .orderBy(decisionRollups.routeId, decisionRollups.tier);
  const requestsOf = async (tenantId: string) => (await rollupsOf(tenantId)).reduce((n, r) => n + r.requests, 0);
  const counts = (...pairs: [number, number][]) => {
    const out = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    for (const [slot, n] of pairs) out[slot] = n;
    return out;
  };

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
    const [a] = await handle.db
      .select()
      .from(decisions)
      .where(eq(decisions.id, `${tenantId}-a`));
    expect(a).toMatchObject({ promptHash: 'h1', promptChars: 42, content: null, startedAt: new Date(T0) });
    const [c] = await handle.db
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

    const [row] = await handle.db.select().from(decisions).where(eq(decisions.id, id));
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
    const rows = await handle.db.select().from(attempts).where(eq(attempts.decisionId, id)).orderBy(attempts.index);
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

  it('flushes on its timer flushIntervalMs after a record', async () => {
    const { clock, state, writer, tenantId } = setup({ flushIntervalMs: 200 });
    writer.record(decision(tenantId, `${tenantId}-1`));
    await clock.advance(199);
    expect(state.transactions).toBe(0);
    await clock.advance(1);
    expect(state.transactions).toBe(1);
    await writer.flush();
    expect(state.transactions).toBe(1);
    expect(await idsOf(tenantId)).toHaveLength(1);
  });

  it('records 1,000 decisions synchronously without touching the database', async () => {
    const { state, writer, tenantId } = setup();
    for (let i = 0; i < 1_000; i++) expect(writer.record(decision(tenantId, `${tenantId}-${i}`))).toBeUndefined();
    expect(writer.bufferDepth()).toBe(1_000);
    expect(state.transactions).toBe(0);
    await writer.flush();
    expect(writer.bufferDepth()).toBe(0);
    expect(await idsOf(tenantId)).toHaveLength(1_000);
  });

  it('close writes every buffered batch, then drops and counts later records', async () => {
    const { state, writer, drops, tenantId } = setup({ batchSize: 500 });
    for (let i = 0; i < 1_234; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await writer.close();
    expect(state.transactions).toBe(3);
    expect(await idsOf(tenantId)).toHaveLength(1_234);
    expect(await requestsOf(tenantId)).toBe(1_234);
    writer.record(decision(tenantId, `${tenantId}-late`));
    expect(writer.droppedCount()).toBe(1);
    expect(drops).toEqual([1]);
  });

  it('keeps every row while the database is unreachable and writes them all once it returns', async () => {
    const { clock, state, writer, errors, tenantId } = setup({ flushIntervalMs: 200, maxBackoffMs: 1_000 });
    state.down = true;
    for (let i = 0; i < 50; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await clock.advance(200);
    expect(errors).toHaveLength(1);
    expect(writer.bufferDepth()).toBe(50);
    // Backoff doubles from the flush interval: the next try is 400 ms later, then 800, then capped at 1 000.
    await clock.advance(399);
    expect(state.transactions).toBe(1);
    await clock.advance(1);
    expect(state.transactions).toBe(2);
    for (let i = 50; i < 75; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await clock.advance(800);
    await clock.advance(1_000);
    expect(state.transactions).toBe(4);
    expect(writer.bufferDepth()).toBe(75);
    state.down = false;
    await clock.advance(1_000);
    await writer.flush();
    expect(state.transactions).toBe(5);
    expect(await idsOf(tenantId)).toHaveLength(75);
    expect(await requestsOf(tenantId)).toBe(75);
    expect(writer.droppedCount()).toBe(0);
  });

  it('drops the oldest rows past maxBuffered, counts them, and writes the newest', async () => {
    const { state, writer, drops, tenantId } = setup({ maxBuffered: 5 });
    state.down = true;
    for (let i = 0; i < 20; i++) writer.record(decision(tenantId, `${tenantId}-${String(i).padStart(2, '0')}`));
    expect(writer.bufferDepth()).toBe(5);
    expect(writer.droppedCount()).toBe(15);
    await expect(writer.flush()).rejects.toThrow(/ECONNREFUSED/);
    // Records that arrive while a failing batch is out push the batch's oldest rows out when it comes back.
    writer.record(decision(tenantId, `${tenantId}-20`));
    expect(writer.bufferDepth()).toBe(5);
    expect(writer.droppedCount()).toBe(16);
    expect(drops.reduce((a, b) => a + b, 0)).toBe(16);
    state.down = false;
    await writer.flush();
    expect(await idsOf(tenantId)).toEqual(['16', '17', '18', '19', '20'].map((n) => `${tenantId}-${n}`));
  });

  it('does not duplicate rows or rollup counts when a committed batch is retried', async () => {
    const { state, writer, errors, tenantId } = setup();
    state.lostAcks = 1;
    for (let i = 0; i < 10; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await expect(writer.flush()).rejects.toThrow(/ECONNRESET/);
    expect(writer.bufferDepth()).toBe(10);
    await writer.flush();
    expect(errors).toHaveLength(1);
    expect(await idsOf(tenantId)).toHaveLength(10);
    expect(await attemptCount(tenantId)).toBe(10);
    expect(await requestsOf(tenantId)).toBe(10);
  });

  it('drops and counts a decision the database rejects, and writes the rest of its batch', async () => {
    const { writer, errors, drops, tenantId } = setup();
    writer.record(decision(tenantId, `${tenantId}-ok1`));
    writer.record(decision(tenantId, `${tenantId}-bad`, { inputTokens: Number.NaN }));
    writer.record(decision(tenantId, `${tenantId}-ok2`));
    await writer.flush();
    expect(await idsOf(tenantId)).toEqual([`${tenantId}-ok1`, `${tenantId}-ok2`]);
    expect(drops).toEqual([1]);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(await requestsOf(tenantId)).toBe(2);
  });

  it('writes a decision whose caller-supplied ids hold lone surrogates, made well-formed', async () => {
    const { writer, drops, tenantId } = setup();
    writer.record(decision(tenantId, `${tenantId}-odd`, { userId: 'user-\ud800', featureId: 'caf\u00e9 \u{1f600}' }));
    await writer.flush();
    const [row] = await handle.db
      .select({ userId: decisions.userId, featureId: decisions.featureId })
      .from(decisions)
      .where(eq(decisions.id, `${tenantId}-odd`));
    expect(row).toEqual({ userId: 'user-\ufffd', featureId: 'caf\u00e9 \u{1f600}' });
    expect(drops).toEqual([]);
  });

  it('tells the journal after each batch how many newer rows are still pending', async () => {
    const released: number[] = [];
    const journal = {
      append: () => undefined,
      release: (pending: number) => released.push(pending),
      recover: () => [],
      finishRecovery: () => undefined,
      close: () => undefined,
    };
    const { writer, tenantId } = setup({ journal, batchSize: 2 });
    for (let i = 0; i < 5; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await writer.flush();
    expect(released).toEqual([3, 1, 0]);
  });

  it('journals every record and tells the journal how many rows are still unwritten after each batch', async () => {
    const log: string[] = [];
    const journal = {
      append: (e: { decision: Decision }) => log.push(`append ${e.decision.id}`),
      release: (pending: number) => log.push(`release ${pending}`),
      recover: () => [],
      finishRecovery: () => undefined,
      close: () => log.push('close'),
    };
    const { writer, state, tenantId } = setup({ journal });
    writer.record(decision(tenantId, `${tenantId}-1`));
    state.down = true;
    await expect(writer.flush()).rejects.toThrow();
    expect(log).toEqual([`append ${tenantId}-1`]);
    state.down = false;
    writer.record(decision(tenantId, `${tenantId}-2`));
    await writer.close();
    expect(log).toEqual([`append ${tenantId}-1`, `append ${tenantId}-2`, 'release 0', 'close']);
    expect(await idsOf(tenantId)).toEqual([`${tenantId}-1`, `${tenantId}-2`]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { attempts, decisionRollups, decisions } from '../../drizzle/schema/index.js';
import { LATENCY_BOUNDS_MS } from '../../shared/engine/circuit-breaker.js';
import { isBackstopError } from '../../shared/engine/errors.js';
import { testDatabases } from '../../test/support/databases.js';
import {
  attemptsForDecisions,
  costBreakdown,
  fallbackRate,
  latencyByModel,
  listDecisions,
  successRateByModel,
  tierActivation,
  type DecisionRow,
  type ListDecisionsInput,
} from './decision-queries.js';

const MINUTE = 60_000;

const row = (tenantId: string, id: string, startedAtMs: number, over: Partial<DecisionRow> = {}): DecisionRow => ({
  id,
  tenantId,
  trafficClass: 'critical',
  policyVersion: 1,
  outcome: 'success',
  sensitive: false,
  originalRouteId: 'gpt-4o',
  finalRouteId: 'gpt-4o',
  finalTier: 0,
  degraded: false,
  degradedReasons: [],
  errorCode: null,
  budgetBand: 'normal',
  totalLatencyMs: 300,
  totalCostUsd: 0.001,
  inputTokens: 1,
  outputTokens: 1,
  attemptCount: 1,
  userId: null,
  appId: null,
  featureId: null,
  workflowId: null,
  jobId: null,
  canaryId: null,
  canaryArm: null,
  promptHash: null,
  promptChars: null,
  content: null,
  startedAt: new Date(startedAtMs),
  ...over,
});

const histogram = (...pairs: [number, number][]) => {
  const out = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const [slot, n] of pairs) out[slot] = n;
  return out;
};

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => isBackstopError(e) && e.code,
  );

describe.each(await testDatabases())('decision queries ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  const T = Date.UTC(2030, 0, 1);

  beforeAll(async () => {
    handle = await open();
    // 250 decisions of one tenant, three to an instant so that pages must break ties by id.
    await handle.db.insert(decisions).values(
      Array.from({ length: 250 }, (_, i) =>
        row('pager', `p-${String(i).padStart(3, '0')}`, T + Math.floor(i / 3) * 1_000, {
          trafficClass: i % 2 === 0 ? 'critical' : 'batch',
        }),
      ),
    );
    await handle.db.insert(decisions).values([
      row('filters', 'f-1', T),
      row('filters', 'f-2', T + 1_000, { outcome: 'degraded', degraded: true, finalRouteId: 'haiku', finalTier: 1 }),
      row('filters', 'f-3', T + 2_000, {
        outcome: 'failed',
        finalRouteId: null,
        finalTier: null,
        trafficClass: 'batch',
      }),
      row('filters', 'f-4', T + 3_000, { trafficClass: 'batch' }),
      row('other', 'o-1', T + 1_500),
    ]);
    // Hand-made rollups for tenant m between T and T + 10 min; n and the row at T + 10 min must not leak in.
    const rollup = (over: Partial<typeof decisionRollups.$inferInsert>) => ({
      bucketStart: new Date(T),
      tenantId: 'm',
      trafficClass: 'critical',
      routeId: 'gpt-4o',
      model: 'gpt-4o',
      tier: 0,
      requests: 0,
      successes: 0,
      fallbacks: 0,
      degraded: 0,
      costUsd: 0,
      latencyCounts: histogram(),
      ...over,
    });
    await handle.db.insert(decisionRollups).values([
      rollup({ requests: 10, successes: 9, costUsd: 0.1, latencyCounts: histogram([4, 5], [6, 5]) }),
      rollup({
        bucketStart: new Date(T + MINUTE),
        routeId: 'haiku',
        model: 'claude-haiku',
        tier: 1,
        requests: 4,
        successes: 4,
        fallbacks: 4,
        degraded: 4,
        costUsd: 0.02,
        latencyCounts: histogram([8, 4]),
      }),
      rollup({
        bucketStart: new Date(T + 5 * MINUTE),
        trafficClass: 'batch',
        requests: 6,
        successes: 6,
        costUsd: 0.06,
        latencyCounts: histogram([6, 6]),
      }),
      rollup({
        bucketStart: new Date(T + 6 * MINUTE),
        routeId: '-',
        tier: 1,
        requests: 2,
        latencyCounts: histogram([12, 2]),
      }),
      rollup({ tenantId: 'n', requests: 100, successes: 100, costUsd: 1, latencyCounts: histogram([0, 100]) }),
      rollup({ bucketStart: new Date(T + 10 * MINUTE), requests: 50, successes: 50, costUsd: 5 }),
    ]);
    await handle.db.insert(attempts).values(
      [
        ['f-2', 1],
        ['f-2', 0],
        ['f-1', 0],
      ].map(([decisionId, index]) => ({
        decisionId: String(decisionId),
        index: Number(index),
        tier: Number(index),
        routeId: 'gpt-4o',
        provider: 'openai',
        model: 'gpt-4o',
        outcome: 'success',
        retry: 0,
        breakerState: 'closed',
        startedAt: new Date(T),
        latencyMs: 100,
        inputTokens: 1,
        outputTokens: 1,
        costUsd: 0.001,
      })),
    );
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
  });

  const ids = async (input: Omit<ListDecisionsInput, 'first'>) =>
    (await listDecisions(handle.db, { first: 100, ...input })).nodes.map((n) => n.id);

  describe('listDecisions', () => {
    it('pages through 250 decisions newest first without gaps or repeats', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page = await listDecisions(handle.db, { tenantId: 'pager', first: 40, after });
        seen.push(...page.nodes.map((n) => n.id));
        pages++;
        if (!page.hasNextPage) break;
        after = page.endCursor;
      }
      expect(pages).toBe(7);
      const expected = Array.from({ length: 250 }, (_, i) => `p-${String(i).padStart(3, '0')}`).reverse();
      expect(seen).toEqual(expected);
    });

    it('pages a filtered list the same way', async () => {
      const first = await listDecisions(handle.db, { tenantId: 'pager', trafficClass: 'batch', first: 100 });
      const second = await listDecisions(handle.db, {
        tenantId: 'pager',
        trafficClass: 'batch',
        first: 100,
        after: first.endCursor,
      });
      expect(first.hasNextPage).toBe(true);
      expect(second.hasNextPage).toBe(false);
      const all = [...first.nodes, ...second.nodes];
      expect(all).toHaveLength(125);
      expect(all.every((n) => n.trafficClass === 'batch')).toBe(true);
    });

    it('isolates tenants', async () => {
      expect(await ids({ tenantId: 'filters' })).toEqual(['f-4', 'f-3', 'f-2', 'f-1']);
      expect(await ids({ tenantId: 'other' })).toEqual(['o-1']);
      expect(await ids({ tenantId: 'nobody' })).toEqual([]);
    });

    it('filters by class, answering route, outcome, degraded flag and time range', async () => {
      expect(await ids({ tenantId: 'filters', trafficClass: 'batch' })).toEqual(['f-4', 'f-3']);
      expect(await ids({ tenantId: 'filters', routeId: 'haiku' })).toEqual(['f-2']);
      expect(await ids({ tenantId: 'filters', outcome: 'failed' })).toEqual(['f-3']);
      expect(await ids({ tenantId: 'filters', degraded: true })).toEqual(['f-2']);
      expect(await ids({ tenantId: 'filters', degraded: false })).toEqual(['f-4', 'f-3', 'f-1']);
      expect(await ids({ tenantId: 'filters', from: new Date(T + 1_000), to: new Date(T + 3_000) })).toEqual([
        'f-3',
        'f-2',
      ]);
      expect(await ids({ from: new Date(T + 1_000), to: new Date(T + 2_000), routeId: 'gpt-4o' })).toEqual([
        'o-1',
        'p-005',
        'p-004',
        'p-003',
      ]);
    });

    it('ends with a null cursor on an empty page and rejects bad input', async () => {
      expect(await listDecisions(handle.db, { tenantId: 'nobody', first: 10 })).toEqual({
        nodes: [],
        endCursor: null,
        hasNextPage: false,
      });
      expect(await codeOf(listDecisions(handle.db, { first: 10, after: 'not-a-cursor' }))).toBe('REQUEST_REJECTED');
      expect(await codeOf(listDecisions(handle.db, { first: 0 }))).toBe('REQUEST_REJECTED');
      expect(await codeOf(listDecisions(handle.db, { first: 201 }))).toBe('REQUEST_REJECTED');
    });
  });

  it('attemptsForDecisions returns lists in key order, each by attempt index, empty for unknown ids', async () => {
    const lists = await attemptsForDecisions(handle.db, ['f-2', 'missing', 'f-1']);
    expect(lists.map((list) => list.map((a) => `${a.decisionId}#${a.index}`))).toEqual([
      ['f-2#0', 'f-2#1'],
      [],
      ['f-1#0'],
    ]);
    expect(await attemptsForDecisions(handle.db, [])).toEqual([]);
  });

  describe('metrics from rollups', () => {
    const window = { from: new Date(T), to: new Date(T + 10 * MINUTE), tenantId: 'm' };

    it('tierActivation counts requests per tier per bucket', async () => {
      expect(await tierActivation(handle.db, { ...window, bucketMs: 5 * MINUTE })).toEqual([
        { bucketStart: new Date(T), tier: 0, requests: 10, successes: 9 },
        { bucketStart: new Date(T), tier: 1, requests: 4, successes: 4 },
        { bucketStart: new Date(T + 5 * MINUTE), tier: 0, requests: 6, successes: 6 },
        { bucketStart: new Date(T + 5 * MINUTE), tier: 1, requests: 2, successes: 0 },
      ]);
      expect(await tierActivation(handle.db, { ...window, trafficClass: 'batch', bucketMs: 10 * MINUTE })).toEqual([
        { bucketStart: new Date(T), tier: 0, requests: 6, successes: 6 },
      ]);
      expect(await codeOf(tierActivation(handle.db, { ...window, bucketMs: 1_000 }))).toBe('REQUEST_REJECTED');
    });

    it('fallbackRate divides fallbacks by requests', async () => {
      expect(await fallbackRate(handle.db, window)).toEqual({ requests: 22, fallbacks: 4, rate: 4 / 22 });
      expect(await fallbackRate(handle.db, { ...window, tenantId: 'nobody' })).toEqual({
        requests: 0,
        fallbacks: 0,
        rate: null,
      });
    });

    it('successRateByModel ranks models by requests', async () => {
      expect(await successRateByModel(handle.db, window)).toEqual([
        { model: 'gpt-4o', requests: 18, successes: 15, rate: 15 / 18 },
        { model: 'claude-haiku', requests: 4, successes: 4, rate: 1 },
      ]);
    });

    it('latencyByModel estimates p50 and p95 from the merged histograms', async () => {
      const [gpt, haiku] = await latencyByModel(handle.db, window);
      // gpt-4o: 5 in (100, 200], 11 in (300, 500], 2 in (3000, 5000]; rank 9 and 17.1 of 18.
      expect(gpt).toMatchObject({ model: 'gpt-4o', requests: 18 });
      expect(gpt?.p50Ms).toBeCloseTo(300 + (200 * 4) / 11, 9);
      expect(gpt?.p95Ms).toBeCloseTo(3_000 + (2_000 * 1.1) / 2, 9);
      // claude-haiku: 4 in (750, 1000]; rank 2 and 3.8 of 4.
      expect(haiku).toMatchObject({ model: 'claude-haiku', requests: 4, p50Ms: 875 });
      expect(haiku?.p95Ms).toBeCloseTo(987.5, 9);
    });

    it('costBreakdown groups spend by tenant, model or class', async () => {
      const { from, to } = window;
      const byTenant = await costBreakdown(handle.db, { by: 'tenant', from, to });
      expect(byTenant.map((r) => [r.key, r.requests, r.costUsd])).toEqual([
        ['n', 100, 1],
        ['m', 22, expect.closeTo(0.18, 9)],
      ]);
      const byModel = await costBreakdown(handle.db, { by: 'model', ...window });
      expect(byModel.map((r) => [r.key, r.requests, r.costUsd])).toEqual([
        ['gpt-4o', 18, expect.closeTo(0.16, 9)],
        ['claude-haiku', 4, expect.closeTo(0.02, 9)],
      ]);
      const byClass = await costBreakdown(handle.db, { by: 'class', ...window });
      expect(byClass.map((r) => [r.key, r.requests, r.costUsd])).toEqual([
        ['critical', 16, expect.closeTo(0.12, 9)],
        ['batch', 6, expect.closeTo(0.06, 9)],
      ]);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { auditLog, shadowHolds, shadowResults, shadowRoutes } from '../../drizzle/schema/index.js';
import { StartShadowInputSchema } from '../../shared/contracts/shadow.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { createShadowStore, type ShadowResultRow, type ShadowStore } from './shadow-store.js';
import { createTenantStore, type Principal } from './tenant-store.js';

const admin: Principal = { keyId: randomUUID(), role: 'admin', tenantId: null };
const input = (over: Record<string, unknown> = {}) =>
  StartShadowInputSchema.parse({ routeId: 'claude-sonnet-4', sampleRate: 0.5, budgetUsd: 1, ...over });

describe.each(await testDatabases())('shadow store ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  let store: ShadowStore;
  let clock: ReturnType<typeof createFakeClock>;
  beforeAll(async () => {
    handle = await open();
  }, 60_000);
  beforeEach(async () => {
    await handle.db.delete(shadowResults);
    await handle.db.delete(shadowHolds);
    await handle.db.delete(shadowRoutes);
    await handle.db.delete(auditLog);
    clock = createFakeClock();
    store = createShadowStore(handle.db, clock, createTenantStore(handle.db, clock.now).audit);
  });
  afterAll(() => handle?.close());

  const result = (shadowId: string, over: Partial<ShadowResultRow> = {}): ShadowResultRow => ({
    shadowId,
    decisionId: randomUUID(),
    tenantId: 'acme',
    trafficClass: 'critical',
    servingRouteId: 'gpt-4o',
    servingOutcome: 'success',
    servingLatencyMs: 100,
    servingCostUsd: 0.001,
    shadowOutcome: 'success',
    shadowLatencyMs: 200,
    shadowCostUsd: 0.002,
    ...over,
  });

  it('starts and stops a shadow, auditing both, and lists by scope and status', async () => {
    const global = await store.start(admin, input());
    const acme = await store.start(admin, input({ tenantId: 'acme', trafficClass: 'batch', timeoutMs: 2_000 }));
    expect(global).toMatchObject({ scope: 'global', trafficClass: null, status: 'running', timeoutMs: 10_000 });
    expect(acme).toMatchObject({
      scope: 'acme',
      trafficClass: 'batch',
      budgetUsd: 1,
      spentUsd: 0,
      createdBy: admin.keyId,
    });
    const stopped = await store.stop(admin, acme.id);
    expect(stopped).toMatchObject({ status: 'stopped', stoppedAt: expect.any(Date) });
    expect(await store.stop(admin, acme.id)).toMatchObject({ status: 'stopped' });
    expect(await store.stop(admin, randomUUID())).toBeUndefined();
    expect(await store.stop(admin, 'not-a-uuid')).toBeUndefined();

    expect((await store.list({ status: 'running' })).map((s) => s.id)).toEqual([global.id]);
    expect((await store.list({ scopes: ['acme'] })).map((s) => s.id)).toEqual([acme.id]);
    const audits = await handle.db.select().from(auditLog);
    expect(audits.map((a) => [a.action, a.target, a.tenantId])).toEqual(
      expect.arrayContaining([
        ['shadow_route.started', acme.id, 'acme'],
        ['shadow_route.started', global.id, null],
        ['shadow_route.stopped', acme.id, 'acme'],
      ]),
    );
    expect(audits).toHaveLength(3);
  });

  it('never holds past the budget, even with many holds at once', async () => {
    const shadow = await store.start(admin, input({ budgetUsd: 0.01 }));
    const held = await Promise.all(Array.from({ length: 25 }, (_, i) => store.reserve(shadow.id, 0.001, `h${i}`)));
    expect(held.filter((h) => h === 'held')).toHaveLength(10);
    expect(new Set(held)).toEqual(new Set(['held', 'no_budget']));
    const [row] = await handle.db.select().from(shadowRoutes).where(eq(shadowRoutes.id, shadow.id));
    expect(row!.reservedUsd).toBeCloseTo(0.01, 9);
  });

  it('holds nothing for a stopped shadow', async () => {
    const shadow = await store.start(admin, input());
    await store.stop(admin, shadow.id);
    expect(await store.reserve(shadow.id, 0.001, 'h')).toBe('stopped');
    expect(await handle.db.select().from(shadowHolds)).toEqual([]);
  });

  it('charges the actual cost, drops the hold, and keeps spent equal to the sum of the results', async () => {
    const shadow = await store.start(admin, input());
    for (const [i, cost] of [0.000123456789, 0.0005, 0.0000001].entries()) {
      expect(await store.reserve(shadow.id, 0.01, `h${i}`)).toBe('held');
      await store.settle(`h${i}`, result(shadow.id, { shadowCostUsd: cost }));
    }
    expect(await store.reserve(shadow.id, 0.02, 'h-released')).toBe('held');
    await store.release('h-released');
    await store.release('h-released');
    expect(await handle.db.select().from(shadowHolds)).toEqual([]);
    const [row] = await handle.db.select().from(shadowRoutes).where(eq(shadowRoutes.id, shadow.id));
    const [{ total }] = (await handle.db
      .select({ total: sql<string>`sum(${shadowResults.shadowCostUsd})::text` })
      .from(shadowResults)) as [{ total: string }];
    expect(row!.reservedUsd).toBe(0);
    expect(row!.spentUsd).toBe(Number(total));
    expect(row!.spentUsd).toBeCloseTo(0.000623557, 9);
  });

  it('gives back the holds of calls that never settled once they are older than the cutoff, and only those', async () => {
    const shadow = await store.start(admin, input({ budgetUsd: 0.01 }));
    expect(await store.reserve(shadow.id, 0.004, 'died-1')).toBe('held');
    expect(await store.reserve(shadow.id, 0.004, 'died-2')).toBe('held');
    expect(await store.reserve(shadow.id, 0.004, 'over')).toBe('no_budget');
    await clock.advance(60_000);
    expect(await store.reserve(shadow.id, 0.001, 'live')).toBe('held');
    expect(await store.sweep(new Date(clock.now() - 30_000))).toBe(2);
    expect(await store.sweep(new Date(clock.now() - 30_000))).toBe(0);
    const [row] = await handle.db.select().from(shadowRoutes).where(eq(shadowRoutes.id, shadow.id));
    expect(row!.reservedUsd).toBeCloseTo(0.001, 9);
    expect(await store.reserve(shadow.id, 0.008, 'after')).toBe('held');
  });

  it('charges a call whose hold the sweep already gave back, without giving the hold back twice', async () => {
    const shadow = await store.start(admin, input());
    expect(await store.reserve(shadow.id, 0.01, 'slow')).toBe('held');
    expect(await store.reserve(shadow.id, 0.02, 'other')).toBe('held');
    await clock.advance(60_000);
    await store.sweep(new Date(clock.now()));
    expect(await store.reserve(shadow.id, 0.02, 'other-2')).toBe('held');
    await store.settle('slow', result(shadow.id, { shadowCostUsd: 0.003 }));
    const [row] = await handle.db.select().from(shadowRoutes).where(eq(shadowRoutes.id, shadow.id));
    expect(row!.spentUsd).toBeCloseTo(0.003, 9);
    expect(row!.reservedUsd).toBeCloseTo(0.02, 9);
  });

  it('compares both sides over the mirrored requests, with percentiles, failures and schema pass rates', async () => {
    const shadow = await store.start(admin, input());
    const empty = await store.start(admin, input());
    const rows = [
      result(shadow.id, {
        servingLatencyMs: 100,
        shadowLatencyMs: 1_000,
        servingSchemaPass: true,
        shadowSchemaPass: true,
      }),
      result(shadow.id, {
        servingLatencyMs: 200,
        shadowLatencyMs: 2_000,
        servingSchemaPass: true,
        shadowSchemaPass: false,
      }),
      result(shadow.id, { servingLatencyMs: 300, servingOutcome: 'failed', servingCostUsd: 0 }),
      result(shadow.id, {
        servingLatencyMs: 400,
        shadowOutcome: 'failure',
        shadowFailureKind: 'timeout',
        shadowLatencyMs: 5_000,
        shadowCostUsd: 0,
      }),
      result(shadow.id, {
        shadowOutcome: 'skipped_budget',
        shadowLatencyMs: null,
        shadowCostUsd: 0,
        servingLatencyMs: 9_999,
      }),
    ];
    for (const row of rows) await store.record(row);
    const [c, none] = await store.comparisons([shadow.id, empty.id]);
    expect(c).toMatchObject({
      shadowId: shadow.id,
      skippedBudget: 1,
      serving: {
        calls: 4,
        errorRate: 0.25,
        p50LatencyMs: 250,
        p95LatencyMs: 385,
        schemaChecked: 2,
        schemaPassRate: 1,
      },
      shadow: { calls: 4, errorRate: 0.25, p50LatencyMs: 1_500, schemaChecked: 2, schemaPassRate: 0.5 },
      shadowFailures: [{ kind: 'timeout', calls: 1 }],
    });
    expect(c!.serving.totalCostUsd).toBeCloseTo(0.003, 9);
    expect(c!.serving.avgCostUsd).toBeCloseTo(0.00075, 9);
    expect(c!.shadow.totalCostUsd).toBeCloseTo(0.006, 9);
    expect(c!.shadow.p95LatencyMs).toBeCloseTo(4_550, 6);
    expect(none).toEqual({
      shadowId: empty.id,
      skippedBudget: 0,
      serving: expect.objectContaining({ calls: 0, errorRate: null, p50LatencyMs: null, schemaPassRate: null }),
      shadow: expect.objectContaining({ calls: 0, avgCostUsd: null, totalCostUsd: 0 }),
      shadowFailures: [],
    });
  });
});

import { and, asc, desc, eq, inArray, lt, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { shadowHolds, shadowResults, shadowRoutes } from '../../drizzle/schema/index.js';
import type { FailureKind } from '../../shared/contracts/decision.js';
import type { TrafficClass } from '../../shared/contracts/policy.js';
import type {
  ShadowComparison,
  ShadowRoute,
  ShadowSideStats,
  ShadowStatus,
  StartShadowInput,
} from '../../shared/contracts/shadow.js';
import type { Clock } from '../../shared/engine/ports.js';
import type { Principal, TenantStore } from './tenant-store.js';

/** The scope of shadows that mirror every tenant. */
export const GLOBAL_SHADOW_SCOPE = 'global';

/** One `shadow_results` row as the mirror writes it: ids, outcomes, latencies and costs; never prompt or answer text. */
export type ShadowResultRow = typeof shadowResults.$inferInsert;

/** What asking for a hold on a shadow budget came to. */
export type ShadowHold = 'held' | 'no_budget' | 'stopped';

/** Shadow routes and their results in Postgres: definitions, the shadow budget ledger, and the comparison. */
export interface ShadowStore {
  /** Shadows, newest first; `scopes` limits them to those scopes (`global` or tenant ids). */
  list(filter?: { scopes?: string[]; status?: ShadowStatus }): Promise<ShadowRoute[]>;
  get(id: string): Promise<ShadowRoute | undefined>;
  /** Stores a running shadow (input already checked) and audits it. */
  start(actor: Principal | null, input: StartShadowInput): Promise<ShadowRoute>;
  /** Stops a shadow and audits it; a stopped one is returned as is. Undefined when there is no such shadow. */
  stop(actor: Principal | null, id: string): Promise<ShadowRoute | undefined>;
  /**
   * Holds `estUsd` of a running shadow's budget, atomically, as hold `holdId` (one per mirrored call). Nothing is held
   * when spent + reserved + the estimate would pass the budget (`no_budget`), or the shadow is no longer running
   * (`stopped`).
   */
  reserve(id: string, estUsd: number, holdId: string): Promise<ShadowHold>;
  /**
   * Charges `result.shadowCostUsd`, drops hold `holdId` and stores the result, in one transaction. A hold the sweep
   * already released is not released twice; the cost is charged all the same.
   */
  settle(holdId: string, result: ShadowResultRow): Promise<void>;
  /** Drops a hold without charging or recording anything (a mirrored call cut short by shutdown). */
  release(holdId: string): Promise<void>;
  /**
   * Releases every hold taken before `olderThan` (its call can no longer be running: its process died, or its result
   * could not be written) and resolves to how many.
   */
  sweep(olderThan: Date): Promise<number>;
  /** Stores a result without touching the budget (a `skipped_budget` row). */
  record(result: ShadowResultRow): Promise<void>;
  /** The comparison of each shadow, in two statements for any number of shadows. */
  comparisons(ids: readonly string[]): Promise<ShadowComparison[]>;
}

// numeric(18, 9): the same rounded text goes into every column, so spent always equals the sum of the results' costs.
const usd = (n: number) => n.toFixed(9);

const toShadow = (row: typeof shadowRoutes.$inferSelect): ShadowRoute => ({
  id: row.id,
  scope: row.scope,
  trafficClass: row.trafficClass as TrafficClass | null,
  routeId: row.routeId,
  sampleRate: row.sampleRate,
  timeoutMs: row.timeoutMs,
  budgetUsd: row.budgetUsd,
  spentUsd: row.spentUsd,
  reservedUsd: row.reservedUsd,
  status: row.status,
  createdBy: row.createdBy,
  createdAt: row.createdAt,
  stoppedAt: row.stoppedAt,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whether `id` can be a shadow id: anything else would be a database error rather than "not found". */
export const isShadowId = (id: string) => UUID.test(id);

const r = shadowResults;
const mirrored = sql`${r.shadowOutcome} <> 'skipped_budget'`;
const count = (where: SQL) => sql<number>`count(*) filter (where ${where})`.mapWith(Number);
const countOf = (column: AnyColumn) => sql<number>`count(${column}) filter (where ${mirrored})`.mapWith(Number);
const percentile = (p: number, column: AnyColumn) =>
  sql<
    number | null
  >`percentile_cont(${sql.raw(String(p))}) within group (order by ${column}) filter (where ${mirrored})`.mapWith(
    (v: unknown) => (v === null ? null : Number(v)),
  );
const total = (column: AnyColumn) =>
  sql<number>`coalesce(sum(${column}) filter (where ${mirrored}), 0)`.mapWith(Number);

function side(
  calls: number,
  failed: number,
  p50: number | null,
  p95: number | null,
  cost: number,
  checked: number,
  passed: number,
): ShadowSideStats {
  return {
    calls,
    errorRate: calls > 0 ? failed / calls : null,
    p50LatencyMs: p50,
    p95LatencyMs: p95,
    avgCostUsd: calls > 0 ? cost / calls : null,
    totalCostUsd: cost,
    schemaChecked: checked,
    schemaPassRate: checked > 0 ? passed / checked : null,
  };
}

/** @example const store = createShadowStore(db, clock, tenants.audit); await store.start(actor, input); */
export function createShadowStore(db: Database, clock: Clock, audit: TenantStore['audit']): ShadowStore {
  const tenantOf = (scope: string) => (scope === GLOBAL_SHADOW_SCOPE ? null : scope);
  const get = async (id: string) => {
    if (!isShadowId(id)) return undefined;
    const [row] = await db.select().from(shadowRoutes).where(eq(shadowRoutes.id, id));
    return row && toShadow(row);
  };

  return {
    async list(filter = {}) {
      const where = and(
        filter.scopes ? inArray(shadowRoutes.scope, filter.scopes) : undefined,
        filter.status ? eq(shadowRoutes.status, filter.status) : undefined,
      );
      const rows = await db
        .select()
        .from(shadowRoutes)
        .where(where)
        .orderBy(desc(shadowRoutes.createdAt), asc(shadowRoutes.id));
      return rows.map(toShadow);
    },

    get,

    async start(actor, input) {
      const scope = input.tenantId ?? GLOBAL_SHADOW_SCOPE;
      const [row] = await db
        .insert(shadowRoutes)
        .values({
          scope,
          trafficClass: input.trafficClass ?? null,
          routeId: input.routeId,
          sampleRate: input.sampleRate,
          timeoutMs: input.timeoutMs,
          budgetUsd: input.budgetUsd,
          createdBy: actor?.keyId ?? 'system',
          createdAt: new Date(clock.now()),
        })
        .returning();
      const shadow = toShadow(row!);
      await audit(actor, 'shadow_route.started', shadow.id, tenantOf(scope), { ...input, scope });
      return shadow;
    },

    async stop(actor, id) {
      if (!isShadowId(id)) return undefined;
      const [row] = await db
        .update(shadowRoutes)
        .set({ status: 'stopped', stoppedAt: new Date(clock.now()) })
        .where(and(eq(shadowRoutes.id, id), eq(shadowRoutes.status, 'running')))
        .returning();
      if (!row) return get(id);
      const shadow = toShadow(row);
      await audit(actor, 'shadow_route.stopped', id, tenantOf(shadow.scope), {
        spentUsd: shadow.spentUsd,
        budgetUsd: shadow.budgetUsd,
      });
      return shadow;
    },

    async reserve(id, estUsd, holdId) {
      const est = usd(estUsd);
      return db.transaction(async (tx): Promise<ShadowHold> => {
        const held = await tx
          .update(shadowRoutes)
          .set({ reservedUsd: sql`${shadowRoutes.reservedUsd} + ${est}::numeric` })
          .where(
            and(
              eq(shadowRoutes.id, id),
              eq(shadowRoutes.status, 'running'),
              sql`${shadowRoutes.spentUsd} + ${shadowRoutes.reservedUsd} + ${est}::numeric <= ${shadowRoutes.budgetUsd}`,
            ),
          )
          .returning({ id: shadowRoutes.id });
        if (held.length > 0) {
          await tx
            .insert(shadowHolds)
            .values({ id: holdId, shadowId: id, estUsd: Number(est), createdAt: new Date(clock.now()) });
          return 'held';
        }
        // Only on refusal: tell a spent budget from a shadow stopped since the mirror last read the running ones.
        const [row] = await tx
          .select({ status: shadowRoutes.status })
          .from(shadowRoutes)
          .where(eq(shadowRoutes.id, id));
        return row?.status === 'running' ? 'no_budget' : 'stopped';
      });
    },

    async settle(holdId, result) {
      const cost = usd(result.shadowCostUsd ?? 0);
      await db.transaction(async (tx) => {
        const [hold] = await tx.delete(shadowHolds).where(eq(shadowHolds.id, holdId)).returning();
        await tx
          .update(shadowRoutes)
          .set({
            spentUsd: sql`${shadowRoutes.spentUsd} + ${cost}::numeric`,
            reservedUsd: sql`greatest(${shadowRoutes.reservedUsd} - ${usd(hold?.estUsd ?? 0)}::numeric, 0)`,
          })
          .where(eq(shadowRoutes.id, result.shadowId));
        // The rounded text read back as a number prints as the same decimal: the row and the sum stay equal.
        await tx.insert(shadowResults).values({ ...result, shadowCostUsd: Number(cost) });
      });
    },

    async release(holdId) {
      await db.transaction(async (tx) => {
        const [hold] = await tx.delete(shadowHolds).where(eq(shadowHolds.id, holdId)).returning();
        if (!hold) return;
        await tx
          .update(shadowRoutes)
          .set({ reservedUsd: sql`greatest(${shadowRoutes.reservedUsd} - ${usd(hold.estUsd)}::numeric, 0)` })
          .where(eq(shadowRoutes.id, hold.shadowId));
      });
    },

    async sweep(olderThan) {
      return db.transaction(async (tx) => {
        const gone = await tx.delete(shadowHolds).where(lt(shadowHolds.createdAt, olderThan)).returning();
        const perShadow = new Map<string, number>();
        for (const hold of gone) perShadow.set(hold.shadowId, (perShadow.get(hold.shadowId) ?? 0) + hold.estUsd);
        // Ascending ids: two instances sweeping at once lock the shadows in the same order.
        for (const [shadowId, estUsd] of [...perShadow].sort(([a], [b]) => (a < b ? -1 : 1))) {
          await tx
            .update(shadowRoutes)
            .set({ reservedUsd: sql`greatest(${shadowRoutes.reservedUsd} - ${usd(estUsd)}::numeric, 0)` })
            .where(eq(shadowRoutes.id, shadowId));
        }
        return gone.length;
      });
    },

    async record(result) {
      await db.insert(shadowResults).values(result);
    },

    async comparisons(ids) {
      if (ids.length === 0) return [];
      const inIds = inArray(r.shadowId, [...ids]);
      const [stats, failures] = await Promise.all([
        db
          .select({
            shadowId: r.shadowId,
            skipped: count(sql`not (${mirrored})`),
            calls: count(mirrored),
            servingFailed: count(sql`${mirrored} and ${r.servingOutcome} = 'failed'`),
            servingP50: percentile(0.5, r.servingLatencyMs),
            servingP95: percentile(0.95, r.servingLatencyMs),
            servingCost: total(r.servingCostUsd),
            servingChecked: countOf(r.servingSchemaPass),
            servingPassed: count(sql`${mirrored} and ${r.servingSchemaPass}`),
            shadowFailed: count(sql`${r.shadowOutcome} = 'failure'`),
            shadowP50: percentile(0.5, r.shadowLatencyMs),
            shadowP95: percentile(0.95, r.shadowLatencyMs),
            shadowCost: total(r.shadowCostUsd),
            shadowChecked: countOf(r.shadowSchemaPass),
            shadowPassed: count(sql`${mirrored} and ${r.shadowSchemaPass}`),
          })
          .from(r)
          .where(inIds)
          .groupBy(r.shadowId),
        db
          .select({ shadowId: r.shadowId, kind: r.shadowFailureKind, calls: sql<number>`count(*)`.mapWith(Number) })
          .from(r)
          .where(and(inIds, eq(r.shadowOutcome, 'failure')))
          .groupBy(r.shadowId, r.shadowFailureKind)
          .orderBy(r.shadowId, desc(sql`count(*)`), asc(r.shadowFailureKind)),
      ]);
      const byId = new Map(stats.map((s) => [s.shadowId, s]));
      return ids.map((shadowId) => {
        const s = byId.get(shadowId);
        return {
          shadowId,
          skippedBudget: s?.skipped ?? 0,
          serving: side(
            s?.calls ?? 0,
            s?.servingFailed ?? 0,
            s?.servingP50 ?? null,
            s?.servingP95 ?? null,
            s?.servingCost ?? 0,
            s?.servingChecked ?? 0,
            s?.servingPassed ?? 0,
          ),
          shadow: side(
            s?.calls ?? 0,
            s?.shadowFailed ?? 0,
            s?.shadowP50 ?? null,
            s?.shadowP95 ?? null,
            s?.shadowCost ?? 0,
            s?.shadowChecked ?? 0,
            s?.shadowPassed ?? 0,
          ),
          shadowFailures: failures
            .filter((f) => f.shadowId === shadowId)
            .map((f) => ({ kind: (f.kind ?? 'unknown') as FailureKind, calls: f.calls })),
        };
      });
    },
  };
}

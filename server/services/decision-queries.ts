import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { attempts, decisionRollups, decisions } from '../../drizzle/schema/index.js';
import type { DecisionOutcome } from '../../shared/contracts/decision.js';
import { estimateQuantile, LATENCY_BOUNDS_MS } from '../../shared/engine/circuit-breaker.js';
import { BackstopError } from '../../shared/engine/errors.js';

export type DecisionRow = typeof decisions.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;

/** Largest page `listDecisions` returns. */
export const MAX_PAGE_SIZE = 200;
/** Most decision ids one `attemptsForDecisions` call takes (a DataLoader's maxBatchSize). */
export const MAX_ATTEMPT_BATCH = 1_000;
/** Most time buckets one `tierActivation` call may span. */
export const MAX_BUCKETS = 2_000;
/** Most rows a per-model or per-key metric returns, largest first. */
export const MAX_GROUPS = 100;

/** Decision log filters; `from` is inclusive and `to` exclusive. `routeId` matches the route that answered. */
export interface DecisionFilter {
  tenantId?: string;
  trafficClass?: string;
  routeId?: string;
  outcome?: DecisionOutcome;
  degraded?: boolean;
  from?: Date;
  to?: Date;
}

export interface ListDecisionsInput extends DecisionFilter {
  /** Page size, from 1 to `MAX_PAGE_SIZE`. */
  first: number;
  /** The `endCursor` of the previous page. */
  after?: string | null;
}

export interface DecisionPage {
  nodes: DecisionRow[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** A metrics window over the per-minute rollups: `from` inclusive, `to` exclusive, both rounded by the minute buckets. */
export interface MetricsWindow {
  from: Date;
  to: Date;
  tenantId?: string;
  trafficClass?: string;
}

export interface TierActivationPoint {
  bucketStart: Date;
  /** -1 for requests that reached no tier. */
  tier: number;
  requests: number;
  successes: number;
}

export interface FallbackRate {
  requests: number;
  fallbacks: number;
  /** fallbacks / requests, from 0 to 1; null without requests. */
  rate: number | null;
}

export interface ModelSuccessRate {
  model: string;
  requests: number;
  successes: number;
  /** successes / requests, from 0 to 1. */
  rate: number;
}

export interface ModelLatency {
  model: string;
  requests: number;
  /** End-to-end request latency quantiles, in milliseconds, estimated from the merged histogram. */
  p50Ms: number | undefined;
  p95Ms: number | undefined;
}

export interface CostShare {
  key: string;
  requests: number;
  costUsd: number;
}

const rejected = (message: string) => new BackstopError('REQUEST_REJECTED', message);

/** The keyset cursor of one decision: its start time and id. */
export const encodeCursor = (row: DecisionRow) =>
  Buffer.from(JSON.stringify([row.startedAt.getTime(), row.id])).toString('base64url');

function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof ms === 'number' && Number.isFinite(ms) && typeof id === 'string') return { startedAt: new Date(ms), id };
  } catch {
    // Falls through to the one error below: a cursor is opaque, so every malformed one reads the same.
  }
  throw rejected('invalid cursor');
}

/**
 * One page of the decision log, newest first, with keyset pagination on (started_at desc, id desc): pages stay stable
 * while new decisions arrive, and each page reads one index range (by tenant, tenant and class, or time).
 */
export async function listDecisions(db: Database, input: ListDecisionsInput): Promise<DecisionPage> {
  if (!Number.isInteger(input.first) || input.first < 1 || input.first > MAX_PAGE_SIZE) {
    throw rejected(`first must be an integer from 1 to ${MAX_PAGE_SIZE} (first=${input.first})`);
  }
  const conditions: (SQL | undefined)[] = [
    input.tenantId === undefined ? undefined : eq(decisions.tenantId, input.tenantId),
    input.trafficClass === undefined ? undefined : eq(decisions.trafficClass, input.trafficClass),
    input.routeId === undefined ? undefined : eq(decisions.finalRouteId, input.routeId),
    input.outcome === undefined ? undefined : eq(decisions.outcome, input.outcome),
    input.degraded === undefined ? undefined : eq(decisions.degraded, input.degraded),
    input.from === undefined ? undefined : gte(decisions.startedAt, input.from),
    input.to === undefined ? undefined : lt(decisions.startedAt, input.to),
  ];
  if (input.after) {
    const cursor = decodeCursor(input.after);
    // The lte keeps the scan a range on the time index; the or breaks ties between decisions of the same instant.
    conditions.push(
      lte(decisions.startedAt, cursor.startedAt),
      or(lt(decisions.startedAt, cursor.startedAt), lt(decisions.id, cursor.id)),
    );
  }
  const rows = await db
    .select()
    .from(decisions)
    .where(and(...conditions))
    .orderBy(desc(decisions.startedAt), desc(decisions.id))
    .limit(input.first + 1);
  const nodes = rows.slice(0, input.first);
  const last = nodes.at(-1);
  return { nodes, endCursor: last ? encodeCursor(last) : null, hasNextPage: rows.length > input.first };
}

/** Attempts of many decisions in one query (for a DataLoader), in the order of `ids`, each list by attempt index. */
export async function attemptsForDecisions(db: Database, ids: readonly string[]): Promise<AttemptRow[][]> {
  if (ids.length > MAX_ATTEMPT_BATCH) throw rejected(`at most ${MAX_ATTEMPT_BATCH} decisions per batch`);
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(attempts)
    .where(inArray(attempts.decisionId, [...ids]))
    .orderBy(asc(attempts.decisionId), asc(attempts.index));
  const byDecision = new Map<string, AttemptRow[]>();
  for (const row of rows) {
    const list = byDecision.get(row.decisionId);
    if (list) list.push(row);
    else byDecision.set(row.decisionId, [row]);
  }
  return ids.map((id) => byDecision.get(id) ?? []);
}

// Every metric reads a time range of the rollups' bucket_start index, optionally narrowed by tenant and class.
function windowOf(w: MetricsWindow): SQL | undefined {
  if (!(w.from < w.to)) throw rejected('a metrics window needs from < to');
  return and(
    gte(decisionRollups.bucketStart, w.from),
    lt(decisionRollups.bucketStart, w.to),
    w.tenantId === undefined ? undefined : eq(decisionRollups.tenantId, w.tenantId),
    w.trafficClass === undefined ? undefined : eq(decisionRollups.trafficClass, w.trafficClass),
  );
}

const total = (column: SQLWrapper) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/**
 * Requests per tier per time bucket. Buckets are `bucketMs` wide (a whole number of minutes, the rollups' grain) and
 * aligned to the Unix epoch, so they fall on UTC minute, hour and day boundaries.
 */
export async function tierActivation(
  db: Database,
  input: MetricsWindow & { bucketMs: number },
): Promise<TierActivationPoint[]> {
  const { bucketMs } = input;
  if (!Number.isSafeInteger(bucketMs) || bucketMs < 60_000 || bucketMs % 60_000 !== 0) {
    throw rejected(`bucketMs must be a positive whole number of minutes (bucketMs=${bucketMs})`);
  }
  if ((input.to.getTime() - input.from.getTime()) / bucketMs > MAX_BUCKETS) {
    throw rejected(`a window may span at most ${MAX_BUCKETS} buckets`);
  }
  // Inlined, not a parameter: GROUP BY must repeat the select expression text exactly. bucketMs is a checked integer.
  const bucket = sql<number>`(floor(extract(epoch from ${decisionRollups.bucketStart}) * 1000 / ${sql.raw(String(bucketMs))}) * ${sql.raw(String(bucketMs))})`;
  const rows = await db
    .select({
      bucketMs: bucket.mapWith(Number),
      tier: decisionRollups.tier,
      requests: total(decisionRollups.requests),
      successes: total(decisionRollups.successes),
    })
    .from(decisionRollups)
    .where(windowOf(input))
    .groupBy(bucket, decisionRollups.tier)
    .orderBy(bucket, decisionRollups.tier)
    .limit(MAX_BUCKETS * 8);
  return rows.map((r) => ({
    bucketStart: new Date(r.bucketMs),
    tier: r.tier,
    requests: r.requests,
    successes: r.successes,
  }));
}

/** Share of requests answered by a route other than the one their plan started with. */
export async function fallbackRate(db: Database, window: MetricsWindow): Promise<FallbackRate> {
  const [row] = await db
    .select({ requests: total(decisionRollups.requests), fallbacks: total(decisionRollups.fallbacks) })
    .from(decisionRollups)
    .where(windowOf(window));
  const requests = row?.requests ?? 0;
  const fallbacks = row?.fallbacks ?? 0;
  return { requests, fallbacks, rate: requests === 0 ? null : fallbacks / requests };
}

/**
 * Answered share of requests per model, busiest models first. A request is filed under the model that answered it, or
 * the model it last tried when none did ('-' when it called none).
 */
export async function successRateByModel(db: Database, window: MetricsWindow): Promise<ModelSuccessRate[]> {
  const requests = total(decisionRollups.requests);
  const rows = await db
    .select({ model: decisionRollups.model, requests, successes: total(decisionRollups.successes) })
    .from(decisionRollups)
    .where(windowOf(window))
    .groupBy(decisionRollups.model)
    .orderBy(desc(requests), asc(decisionRollups.model))
    .limit(MAX_GROUPS);
  return rows.map((r) => ({ ...r, rate: r.requests === 0 ? 0 : r.successes / r.requests }));
}

/** p50 and p95 end-to-end latency per model, from the rollups' histograms summed slot by slot in SQL. */
export async function latencyByModel(db: Database, window: MetricsWindow): Promise<ModelLatency[]> {
  const requests = total(decisionRollups.requests);
  const slots = Object.fromEntries(
    Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, (_, i) => [
      `s${i}`,
      total(sql`(${decisionRollups.latencyCounts} ->> ${sql.raw(String(i))})::numeric`),
    ]),
  );
  const rows = await db
    .select({ model: decisionRollups.model, requests, ...slots })
    .from(decisionRollups)
    .where(windowOf(window))
    .groupBy(decisionRollups.model)
    .orderBy(desc(requests), asc(decisionRollups.model))
    .limit(MAX_GROUPS);
  return rows.map((r) => {
    const row = r as unknown as Record<string, number> & { model: string };
    const counts = Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, (_, i) => row[`s${i}`] ?? 0);
    return {
      model: row.model,
      requests: row.requests!,
      p50Ms: estimateQuantile(counts, 0.5),
      p95Ms: estimateQuantile(counts, 0.95),
    };
  });
}

/** Spend in USD grouped by tenant, model or traffic class, largest first. */
export async function costBreakdown(
  db: Database,
  input: Omit<MetricsWindow, 'trafficClass'> & { by: 'tenant' | 'model' | 'class' },
): Promise<CostShare[]> {
  const key = { tenant: decisionRollups.tenantId, model: decisionRollups.model, class: decisionRollups.trafficClass }[
    input.by
  ];
  const costUsd = total(decisionRollups.costUsd);
  return db
    .select({ key, requests: total(decisionRollups.requests), costUsd })
    .from(decisionRollups)
    .where(windowOf(input))
    .groupBy(key)
    .orderBy(desc(costUsd), asc(key))
    .limit(MAX_GROUPS);
}

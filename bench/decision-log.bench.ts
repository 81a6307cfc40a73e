import { randomUUID } from 'node:crypto';
import { like, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../drizzle/client.js';
import { attempts, decisions } from '../drizzle/schema/index.js';
import type { AttemptRecord, Decision } from '../shared/contracts/decision.js';
import { attemptRecord } from '../shared/testing/decision-fixtures.js';
import { createDecisionWriter } from '../server/services/decision-writer.js';
import type { BenchDatabase } from './databases.js';
import { round } from './stats.js';

/** Decisions written per second by the batch writer, against plain multi-row INSERTs of the same rows. */
export interface DecisionLogRow {
  database: 'pglite' | 'postgres';
  decisions: number;
  attempts: number;
  /** Decisions per second from the first `record` until `flush` resolves (decisions, attempts and rollups). */
  writerPerSec: number;
  /** Decisions per second with plain INSERT ... VALUES of the same decision and attempt rows, same batch size. */
  plainInsertPerSec: number;
  /** `writerPerSec / plainInsertPerSec`. */
  ratio: number;
  /** Decision rows found after the writer's flush (must equal `decisions`). */
  written: number;
  dropped: number;
}

export interface DecisionLogOptions {
  decisions: number;
}

/** The writer's default batch, used by the baseline too. */
const BATCH = 500;
const SCRATCH = 'bench_scratch';

/** A decision like the gateway records: 4 in 5 answered by the primary, the rest after a retry and a fallback. */
function syntheticDecision(i: number, nowMs: number, tenantPrefix: string): Decision {
  const startedAtMs = nowMs - (i % 300) * 1_000;
  const ok = (over: Partial<AttemptRecord>) => attemptRecord({ startedAtMs, latencyMs: 300 + (i % 97), ...over });
  const failed = i % 5 === 4;
  const tried = failed
    ? [
        ok({
          outcome: 'failure',
          failureKind: 'server_error',
          status: 500,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        }),
        ok({
          index: 1,
          retry: 1,
          outcome: 'failure',
          failureKind: 'server_error',
          status: 500,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        }),
        ok({ index: 2, tier: 1, routeId: 'claude-sonnet-4', provider: 'anthropic', model: 'claude-sonnet-4-20250514' }),
      ]
    : [ok({})];
  const answered = tried.at(-1)!;
  return {
    id: randomUUID(),
    tenantId: `${tenantPrefix}${i % 10}`,
    trafficClass: i % 3 === 0 ? 'non_critical' : 'critical',
    policyVersion: 1,
    sensitive: false,
    outcome: failed ? 'degraded' : 'success',
    originalRouteId: 'gpt-4o',
    finalRouteId: answered.routeId,
    finalTier: answered.tier,
    degraded: failed,
    degradedReasons: failed ? ['fallback'] : [],
    budgetBand: 'normal',
    attempts: tried,
    startedAtMs,
    totalLatencyMs: tried.reduce((sum, a) => sum + a.latencyMs, 0),
    totalCostUsd: answered.costUsd,
    inputTokens: answered.inputTokens,
    outputTokens: answered.outputTokens,
  };
}

// The rows the writer stores, written here with plain drizzle inserts.
const decisionRow = ({ attempts: tried, startedAtMs, totalLatencyMs, ...fields }: Decision) => ({
  ...fields,
  totalLatencyMs: Math.round(totalLatencyMs),
  attemptCount: tried.length,
  startedAt: new Date(startedAtMs),
});
const attemptRows = (d: Decision) =>
  d.attempts.map(({ startedAtMs, latencyMs, ...fields }) => ({
    ...fields,
    decisionId: d.id,
    startedAt: new Date(startedAtMs),
    latencyMs: Math.round(latencyMs),
  }));

/** Plain multi-row INSERTs, one transaction per batch, into copies of the tables in a scratch schema. */
async function plainInsert(db: Database, batch: readonly Decision[]): Promise<void> {
  await db.transaction(async (tx) => {
    // Unqualified table names resolve through the search path: the same drizzle tables land in the scratch copies.
    await tx.execute(sql.raw(`set local search_path to ${SCRATCH}`));
    await tx.insert(decisions).values(batch.map(decisionRow));
    await tx.insert(attempts).values(batch.flatMap(attemptRows));
  });
}

/**
 * Pushes `decisions` synthetic decisions into `createDecisionWriter` (in process) and times them until flushed; the
 * baseline writes the same rows with plain INSERTs into scratch copies of the tables (same indexes) in the same run.
 */
export async function benchDecisionLog(database: BenchDatabase, options: DecisionLogOptions): Promise<DecisionLogRow> {
  const handle = await openDatabase(database.open);
  try {
    const nowMs = Date.now();
    // Tenants of this run only, so that `written` counts this run's rows even in a reused BENCH_DATABASE_URL.
    const tenantPrefix = `bench-log-${randomUUID().slice(0, 8)}-`;
    const make = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => syntheticDecision(i, nowMs, prefix));
    const batch = make(options.decisions, tenantPrefix);
    const attemptCount = batch.reduce((sum, d) => sum + d.attempts.length, 0);

    await handle.execute(
      `drop schema if exists ${SCRATCH} cascade; create schema ${SCRATCH};
       create table ${SCRATCH}.decisions (like public.decisions including all);
       create table ${SCRATCH}.attempts (like public.attempts including all);`,
    );
    // One untimed batch each first: connections, JIT and the query plans.
    await plainInsert(handle.db, make(BATCH, `${tenantPrefix}warm-`));
    const warm = createDecisionWriter({ db: handle.db });
    for (const d of make(BATCH, `${tenantPrefix}warm-`)) warm.record(d);
    await warm.close();

    const plainStarted = performance.now();
    for (let i = 0; i < batch.length; i += BATCH) await plainInsert(handle.db, batch.slice(i, i + BATCH));
    const plainSeconds = (performance.now() - plainStarted) / 1000;

    let dropped = 0;
    const writer = createDecisionWriter({ db: handle.db, onDrop: (n) => (dropped += n) });
    const started = performance.now();
    for (const d of batch) writer.record(d);
    await writer.flush();
    const writerSeconds = (performance.now() - started) / 1000;
    await writer.close();

    const [{ n }] = (await handle.db
      .select({ n: sql<number>`count(*)::int` })
      .from(decisions)
      .where(like(decisions.tenantId, `${tenantPrefix}_`))) as [{ n: number }];
    const writerPerSec = options.decisions / writerSeconds;
    const plainInsertPerSec = options.decisions / plainSeconds;
    return {
      database: database.kind,
      decisions: options.decisions,
      attempts: attemptCount,
      writerPerSec: Math.round(writerPerSec),
      plainInsertPerSec: Math.round(plainInsertPerSec),
      ratio: round(writerPerSec / plainInsertPerSec, 3),
      written: n,
      dropped,
    };
  } finally {
    await handle.execute(`drop schema if exists ${SCRATCH} cascade`).catch(() => undefined);
    await handle.close();
  }
}

/** The table rows as printed. */
export function decisionLogTable(rows: readonly DecisionLogRow[]) {
  return rows.map((r) => ({
    db: r.database,
    decisions: r.decisions,
    'attempt rows': r.attempts,
    'writer decisions/s': r.writerPerSec,
    'plain INSERT decisions/s (baseline)': r.plainInsertPerSec,
    'x baseline': r.ratio,
    written: r.written,
    dropped: r.dropped,
  }));
}

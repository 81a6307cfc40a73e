import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import type { Database, DatabaseHandle } from '../../drizzle/client.js';
import { attempts, decisionRollups, decisions } from '../../drizzle/schema/index.js';
import type { AttemptRecord, Decision } from '../../shared/contracts/decision.js';
import { LATENCY_BOUNDS_MS } from '../../shared/engine/circuit-breaker.js';
import { attemptRecord, decision as fixtureDecision } from '../../shared/testing/decision-fixtures.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { createDecisionWriter, type DecisionWriterOptions } from '../../server/services/decision-writer.js';

// What the decision writer's tests share: decisions to record, a database that can go away or lose commit acks, and
// readers of what the writer wrote.

export const T0 = Date.UTC(2026, 0, 1, 12);

export const attempt = (over: Partial<AttemptRecord> = {}) =>
  attemptRecord({ startedAtMs: T0, latencyMs: 420, ...over });

/** `fixtureDecision` as the writer's tests record it: for `tenantId`, at `T0`, with one 420 ms `attempt()`. */
export const decision = (tenantId: string, id: string, over: Partial<Decision> = {}): Decision =>
  fixtureDecision({ id, tenantId, attempts: [attempt()], startedAtMs: T0, totalLatencyMs: 420, ...over });

/** The writer's view of the database, with a switch that makes it unreachable and a way to lose commit acks. */
export function flaky(db: Database) {
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

let seq = 0;

/**
 * The writer over one test database, opened before the suite's tests and closed after them (call it in a `describe`),
 * each `setup` on a fresh tenant.
 */
export function decisionWriterHarness(open: () => Promise<DatabaseHandle>) {
  let opened: DatabaseHandle | undefined;
  beforeAll(async () => {
    opened = await open();
  }, 60_000);
  afterAll(async () => {
    await opened?.close();
  });
  const handle = () => opened!;
  const tenant = () => `writer-${++seq}`;
  function setup(options: Partial<DecisionWriterOptions> = {}) {
    const clock = createFakeClock(T0);
    const { db, state } = flaky(handle().db);
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
    (await handle().db.select({ id: decisions.id }).from(decisions).where(eq(decisions.tenantId, tenantId)))
      .map((r) => r.id)
      .sort();
  const attemptCount = async (tenantId: string) => {
    const [row] = await handle()
      .db.select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(attempts)
      .innerJoin(decisions, eq(decisions.id, attempts.decisionId))
      .where(eq(decisions.tenantId, tenantId));
    return row?.n ?? 0;
  };
  const rollupsOf = (tenantId: string) =>
    handle()
      .db.select()
      .from(decisionRollups)
      .where(eq(decisionRollups.tenantId, tenantId))
      .orderBy(decisionRollups.routeId, decisionRollups.tier);
  const requestsOf = async (tenantId: string) => (await rollupsOf(tenantId)).reduce((n, r) => n + r.requests, 0);
  const counts = (...pairs: [number, number][]) => {
    const out = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    for (const [slot, n] of pairs) out[slot] = n;
    return out;
  };
  return { handle, setup, idsOf, attemptCount, rollupsOf, requestsOf, counts };
}

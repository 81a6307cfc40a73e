import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, DatabaseHandle } from '../../drizzle/client.js';
import { reservations, spendLedger, tenants } from '../../drizzle/schema/index.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { createBudgetLeases, type BudgetLeaseOptions } from './budget-leases.js';
import { createPgBudgetStore } from './pg-budget-store.js';

const T0 = Date.UTC(2026, 5, 10, 12);

/** The store's view of the database, with a switch that makes it unreachable. */
function switchable(db: Database) {
  // loseReplies: the next transactions commit, but their caller sees a cut connection (the reply never came back).
  // hangReplies: the next transactions commit, but their caller never hears back (a driver stuck on a reset socket).
  const state = { down: false, statements: 0, loseReplies: 0, hangReplies: 0, hung: [] as Promise<unknown>[] };
  const fail = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value = Reflect.get(t, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop === 'transaction')
          return (fn: Parameters<Database['transaction']>[0]) => {
            state.statements++;
            if (state.down) return fail();
            if (state.hangReplies > 0) {
              state.hangReplies--;
              const committed = (t as Database).transaction(fn);
              state.hung.push(committed);
              return committed.then(() => new Promise<never>(() => undefined));
            }
            if (state.loseReplies > 0) {
              state.loseReplies--;
              return (t as Database).transaction(fn).then(fail);
            }
            return (t as Database).transaction(fn);
          };
        if (['select', 'insert', 'update', 'delete', 'execute'].includes(String(prop)))
          return (...args: unknown[]) => {
            state.statements++;
            if (state.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          };
        return value.bind(t);
      },
    });
  return { db: wrap(db), state };
}

describe.each(await testDatabases())('budget leases ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  let seq = 0;

  beforeAll(async () => {
    handle = await open();
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
  });

  async function setup(monthlyLimitUsd: number | null, options: Partial<BudgetLeaseOptions> = {}) {
    const clock = createFakeClock(T0);
    const tenantId = `lease-${++seq}`;
    await handle.db.insert(tenants).values({ id: tenantId, name: tenantId });
    const { db, state } = switchable(handle.db);
    const open = () => createBudgetLeases(createPgBudgetStore({ db, clock }), { clock, newId: randomUUID, ...options });
    const store = open();
    if (monthlyLimitUsd !== null)
      await store.setBudget(tenantId, {
        monthlyLimitUsd,
        prepaidBalanceUsd: null,
        dailyLimitUsd: null,
        retryBudgetPerDay: null,
      });
    let n = 0;
    const reserve = (s: typeof store, amountUsd: number) => {
      const reservationId = `${tenantId}-r${++n}`;
      return s.reserve({ tenantId, reservationId, amountUsd, daily: false }).then((r) => ({ ...r, reservationId }));
    };
    const heldIds = async () =>
      (await handle.db.select({ id: reservations.id }).from(reservations).where(eq(reservations.tenantId, tenantId)))
        .map((r) => r.id)
        .sort();
    const charged = async () => {
      const [row] = await handle.db
        .select({ usd: sql<number>`coalesce(sum(${spendLedger.amountUsd}), 0)`.mapWith(Number) })
        .from(spendLedger)
        .where(eq(spendLedger.tenantId, tenantId));
      return row!.usd;
    };
    return { clock, tenantId, store, open, state, reserve, heldIds, charged };
  }

  it('serves many requests from one lease without a database round trip each', async () => {
    const { store, state, reserve, heldIds } = await setup(1_000);
    const first = await reserve(store, 0.01);
    expect(first.ok).toBe(true);
    const before = state.statements;
    for (let i = 0; i < 100; i++) {
      const r = await reserve(store, 0.01);
      expect(r.ok).toBe(true);
      await store.settle(r.reservationId, 0.005);
    }
    expect(state.statements).toBe(before);
    const held = await heldIds();
    expect(held).toHaveLength(1);
    expect(held[0]).toMatch(/^lease:/);
  });

  it('shows local holds and spend in its snapshot, and charges the spend to the database on flush', async () => {
    const { store, reserve, charged, tenantId } = await setup(1_000);
    const open = await reserve(store, 0.25);
    for (let i = 0; i < 4; i++) {
      const r = await reserve(store, 0.25);
      await store.settle(r.reservationId, 0.1);
    }
    const snapshot = await store.snapshot(tenantId);
    expect(snapshot?.spentUsd).toBeCloseTo(0.4, 9);
    expect(snapshot?.reservedUsd).toBeCloseTo(0.25, 9);
    expect(await charged()).toBe(0);
    await store.flush();
    expect(await charged()).toBeCloseTo(0.4, 9);
    await store.release(open.reservationId);
    await store.close();
    const after = createPgBudgetStore({ db: handle.db, clock: createFakeClock(T0) });
    expect(await after.snapshot(tenantId)).toMatchObject({ reservedUsd: 0 });
    expect((await after.snapshot(tenantId))?.spentUsd).toBeCloseTo(0.4, 9);
  });

  it('never lets two instances together pass a limit a few dozen requests wide', async () => {
    const { store, open, reserve, charged, tenantId } = await setup(1);
    const peer = open();
    const run = (s: typeof store) =>
      Promise.all(
        Array.from({ length: 150 }, async () => {
          const r = await reserve(s, 0.01);
          if (r.ok) await s.settle(r.reservationId, 0.01);
          return r.ok;
        }),
      );
    const [a, b] = await Promise.all([run(store), run(peer)]);
    const granted = [...a, ...b].filter(Boolean).length;
    await Promise.all([store.close(), peer.close()]);
    expect(granted).toBeLessThanOrEqual(100);
    expect(granted).toBeGreaterThan(50);
    expect(await charged()).toBeLessThanOrEqual(1 + 1e-9);
    const check = createPgBudgetStore({ db: handle.db, clock: createFakeClock(T0) });
    const snap = await check.snapshot(tenantId);
    expect(snap!.spentUsd + snap!.reservedUsd).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('reserves in the database itself when less than 32 requests are left before the limit', async () => {
    const { store, reserve, heldIds } = await setup(0.2);
    const r = await reserve(store, 0.01);
    expect(r.ok).toBe(true);
    expect(await heldIds()).toEqual([r.reservationId]);
  });

  it('takes at most an eighth of what is left, so other instances keep their share', async () => {
    const { store, reserve, tenantId } = await setup(8);
    await reserve(store, 0.01);
    const [lease] = await handle.db
      .select({ amountUsd: reservations.amountUsd })
      .from(reservations)
      .where(eq(reservations.tenantId, tenantId));
    expect(lease!.amountUsd).toBeCloseTo(1, 9);
  });

  it('hands a lease back after leaseMs and takes a fresh one', async () => {
    const { store, reserve, heldIds, clock } = await setup(null, { leaseMs: 1_000 });
    await store.settle((await reserve(store, 0.01)).reservationId, 0.01);
    const [first] = await heldIds();
    await clock.advance(1_000);
    await reserve(store, 0.01);
    await store.flush();
    const held = await heldIds();
    expect(held).toHaveLength(1);
    expect(held[0]).not.toBe(first);
  });

  it('retires leases when the budget changes, so a lower limit applies to the next request', async () => {
    const { store, reserve, tenantId } = await setup(1_000);
    expect((await reserve(store, 1)).ok).toBe(true);
    await store.setBudget(tenantId, {
      monthlyLimitUsd: 1.5,
      prepaidBalanceUsd: null,
      dailyLimitUsd: null,
      retryBudgetPerDay: null,
    });
    await store.flush();
    expect((await reserve(store, 1)).ok).toBe(false);
  });

  it('releases the lease of a process that died once it is no longer refreshed', async () => {
    const { store, open, reserve, heldIds, clock } = await setup(1_000, { staleLeaseMs: 60_000 });
    await reserve(store, 0.01); // this instance "dies": it never flushes or closes
    const survivor = open();
    await clock.advance(30_000);
    await survivor.sweep();
    expect(await heldIds()).toHaveLength(1);
    await clock.advance(31_000);
    expect(await survivor.sweep()).toBeGreaterThanOrEqual(1);
    expect(await heldIds()).toEqual([]);
  });

  it('keeps serving from its lease while the database is away, and charges the spend once it returns', async () => {
    const { store, reserve, state, charged } = await setup(1_000);
    await store.settle((await reserve(store, 0.01)).reservationId, 0.01);
    state.down = true;
    for (let i = 0; i < 20; i++) {
      const r = await reserve(store, 0.01);
      expect(r.ok).toBe(true);
      await store.settle(r.reservationId, 0.01);
    }
    await store.flush();
    state.down = false;
    await store.flush();
    expect(await charged()).toBeCloseTo(0.21, 9);
  });

  it('charges spend once when a charge committed but its reply was lost, and charges later spend after it', async () => {
    const { store, reserve, state, charged } = await setup(1_000);
    for (let i = 0; i < 5; i++) await store.settle((await reserve(store, 0.01)).reservationId, 0.01);
    state.loseReplies = 1;
    await store.flush();
    expect(state.loseReplies).toBe(0);
    expect(await charged()).toBeCloseTo(0.05, 9); // committed, though the store was told otherwise
    for (let i = 0; i < 3; i++) await store.settle((await reserve(store, 0.01)).reservationId, 0.01);
    await store.flush();
    expect(await charged()).toBeCloseTo(0.08, 9);
    await store.close();
    expect(await charged()).toBeCloseTo(0.08, 9);
  });

  it('gives up a charge whose reply never comes after writeTimeoutMs, and charges that spend once in all', async () => {
    const { store, reserve, state, charged, clock } = await setup(1_000, { writeTimeoutMs: 5_000 });
    for (let i = 0; i < 4; i++) await store.settle((await reserve(store, 0.01)).reservationId, 0.01);
    state.hangReplies = 1;
    const stuck = store.flush();
    await clock.advance(5_000);
    await stuck;
    await Promise.all(state.hung);
    expect(await charged()).toBeCloseTo(0.04, 9); // it did commit
    await store.settle((await reserve(store, 0.01)).reservationId, 0.01);
    await store.flush();
    expect(await charged()).toBeCloseTo(0.05, 9);
  });

  it('settles a request once when its settle committed but the reply was lost and it is sent again', async () => {
    const { tenantId, charged } = await setup(1_000);
    const clock = createFakeClock(T0);
    const exact = createPgBudgetStore({ db: handle.db, clock });
    const { db, state: cut } = switchable(handle.db);
    const flaky = createPgBudgetStore({ db, clock });
    const reserved = await exact.reserve({ tenantId, reservationId: `${tenantId}-x`, amountUsd: 0.5, daily: false });
    expect(reserved.ok).toBe(true);
    cut.loseReplies = 1;
    await expect(flaky.settle(`${tenantId}-x`, 0.25)).rejects.toThrow(/ECONNREFUSED/);
    await flaky.settle(`${tenantId}-x`, 0.25);
    expect(await charged()).toBeCloseTo(0.25, 9);
    const snapshot = await exact.snapshot(tenantId);
    expect(snapshot?.spentUsd).toBeCloseTo(0.25, 9);
    expect(snapshot?.reservedUsd).toBeCloseTo(0, 9);
  });

  it('may overdraw its lease once by its size while the database is away, and refuses past that', async () => {
    const { store, reserve, state } = await setup(8); // the lease is an eighth of 8 USD: 1 USD
    await store.settle((await reserve(store, 0.01)).reservationId, 0.01);
    state.down = true;
    let served = 0;
    let refused: unknown;
    for (let i = 0; i < 300 && !refused; i++) {
      try {
        const r = await reserve(store, 0.01);
        await store.settle(r.reservationId, 0.01);
        served++;
      } catch (error) {
        refused = error;
      }
    }
    expect(served).toBeGreaterThanOrEqual(198);
    expect(served).toBeLessThanOrEqual(199);
    expect(refused).toBeInstanceOf(Error);
  });
});

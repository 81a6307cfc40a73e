import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../drizzle/client.js';
import { spendLedger, tenants } from '../../drizzle/schema/index.js';
import { createPgBudgetStore } from '../../server/services/pg-budget-store.js';
import type { BudgetSettings } from '../../shared/contracts/budget.js';
import { isBackstopError } from '../../shared/engine/errors.js';
import { createMemoryBudgetStore } from '../../shared/engine/memory-budget-store.js';
import type { BudgetStore, Clock } from '../../shared/engine/ports.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { TEST_POSTGRES_URL, testDatabases } from '../support/databases.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One store as the suite sees it: `setBudget` is awaited so that sync and async implementations read alike. */
interface Subject {
  store: BudgetStore;
  setBudget(tenantId: string, settings: BudgetSettings): Promise<void>;
}

interface Implementation {
  name: string;
  /** Whether two store instances share state, as two gateway processes on one database do. */
  shared: boolean;
  open(): Promise<{ create(clock: Clock): Subject; peer(clock: Clock): Subject; close(): Promise<void> }>;
}

const memory: Implementation = {
  name: 'memory',
  shared: false,
  async open() {
    const create = (clock: Clock): Subject => {
      const store = createMemoryBudgetStore({ clock });
      return { store, setBudget: async (tenantId, settings) => store.setBudget(tenantId, settings) };
    };
    return { create, peer: create, close: async () => undefined };
  },
};

// A second connection pool on the same database stands in for a second gateway process.
async function openPeer(handle: DatabaseHandle): Promise<DatabaseHandle> {
  if (handle.kind === 'pglite') return { ...handle, close: async () => undefined };
  const rows = (await handle.execute('select current_database() as name')) as { name: string }[];
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${rows[0]!.name}`;
  return openDatabase({ url: url.toString(), poolSize: 10 });
}

const postgresStores: Implementation[] = (await testDatabases()).map((database) => ({
  name: `postgres (${database.name})`,
  shared: true,
  async open() {
    const handle = await database.open();
    const peerHandle = await openPeer(handle);
    const subject = (h: DatabaseHandle, clock: Clock): Subject => {
      const store = createPgBudgetStore({ db: h.db, clock });
      return {
        store,
        async setBudget(tenantId, settings) {
          await h.db.insert(tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
          await store.setBudget(tenantId, settings);
        },
      };
    };
    return {
      create: (clock) => subject(handle, clock),
      peer: (clock) => subject(peerHandle, clock),
      close: async () => {
        await peerHandle.close();
        await handle.close();
      },
    };
  },
}));

const budget = (over: Partial<BudgetSettings> = {}): BudgetSettings => ({
  monthlyLimitUsd: 1,
  prepaidBalanceUsd: null,
  dailyLimitUsd: null,
  retryBudgetPerDay: null,
  ...over,
});

describe.each([memory, ...postgresStores])('BudgetStore contract: $name', (impl) => {
  let factory: Awaited<ReturnType<Implementation['open']>>;
  // Tests share one database, so each works on tenants of its own.
  let seq = 0;
  const fresh = (name: string) => `${name}-${++seq}`;

  beforeAll(async () => {
    // PGlite takes seconds to start, more on a busy machine.
    factory = await impl.open();
  }, 60_000);
  afterAll(async () => {
    await factory?.close();
  });

  async function setup(settings: BudgetSettings = budget(), startMs?: number) {
    const clock = createFakeClock(startMs);
    const subject = factory.create(clock);
    const { store } = subject;
    const acme = fresh('acme');
    await subject.setBudget(acme, settings);
    let n = 0;
    const reserve = (amountUsd: number, daily = false, reservationId = `${acme}-r${++n}`) =>
      store
        .reserve({ tenantId: acme, reservationId, amountUsd, daily })
        .then((result) => ({ ...result, reservationId }));
    return { clock, store, reserve, acme, setBudget: subject.setBudget };
  }

  describe('snapshot', () => {
    it('reports settings, spend and holds of a tenant with a budget', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 10, retryBudgetPerDay: 5 }));
      const held = await reserve(2);
      await reserve(1);
      await store.settle(held.reservationId, 1.5);
      expect(await store.snapshot(acme)).toEqual({
        tenantId: acme,
        monthlyLimitUsd: 10,
        prepaidBalanceUsd: null,
        dailyLimitUsd: null,
        retryBudgetPerDay: 5,
        spentUsd: 1.5,
        reservedUsd: 1,
        dailySpentUsd: 0,
        retriesUsedToday: 0,
      });
    });

    it('is undefined for a tenant without a budget', async () => {
      const { store } = await setup();
      expect(await store.snapshot(fresh('nobody'))).toBeUndefined();
    });
  });

  describe('tenants without a budget', () => {
    it('always grant a reservation but still track it so settle and release work', async () => {
      const { store, setBudget } = await setup();
      const free = fresh('free');
      const [a, b] = [`${free}-a`, `${free}-b`];
      expect(await store.reserve({ tenantId: free, reservationId: a, amountUsd: 1e6, daily: true })).toEqual({
        ok: true,
      });
      await store.reserve({ tenantId: free, reservationId: b, amountUsd: 5, daily: false });
      await store.settle(a, 3);
      await store.release(b);
      await setBudget(free, budget({ monthlyLimitUsd: 100 }));
      expect(await store.snapshot(free)).toMatchObject({ spentUsd: 3, reservedUsd: 0, dailySpentUsd: 3 });
    });

    it('have unlimited retries', async () => {
      const { store } = await setup();
      const free = fresh('free');
      for (let i = 0; i < 50; i++) expect(await store.consumeRetry(free)).toBe(true);
    });
  });

  describe('monthly limit', () => {
    it('denies a reservation that would take spend plus holds over the limit, and names the monthly budget', async () => {
      const { reserve } = await setup(budget({ monthlyLimitUsd: 1 }));
      expect((await reserve(0.6)).ok).toBe(true);
      expect(await reserve(0.5)).toMatchObject({ ok: false, budget: 'monthly' });
    });

    it('grants a reservation that lands exactly on the limit', async () => {
      const { reserve } = await setup(budget({ monthlyLimitUsd: 1 }));
      for (let i = 0; i < 10; i++) expect((await reserve(0.1)).ok).toBe(true);
      expect((await reserve(0.01)).ok).toBe(false);
    });

    it('counts settled spend against the limit', async () => {
      const { store, reserve } = await setup(budget({ monthlyLimitUsd: 1 }));
      const first = await reserve(0.5);
      await store.settle(first.reservationId, 0.9);
      expect(await reserve(0.2)).toMatchObject({ ok: false, budget: 'monthly' });
      expect((await reserve(0.1)).ok).toBe(true);
    });

    it('denies everything when the limit is 0', async () => {
      const { reserve } = await setup(budget({ monthlyLimitUsd: 0 }));
      expect(await reserve(0.0001)).toMatchObject({ ok: false, budget: 'monthly' });
    });

    it('never holds more than the limit under 100 concurrent reservations, and settling them stays within it', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 1 }));
      const results = await Promise.all(Array.from({ length: 100 }, () => reserve(0.25)));
      const granted = results.filter((r) => r.ok);
      expect(granted).toHaveLength(4);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.budget === 'monthly')).toBe(true);
      expect((await store.snapshot(acme))?.reservedUsd).toBe(1);
      await Promise.all(granted.map((r) => store.settle(r.reservationId, 0.25)));
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 1, reservedUsd: 0 });
      expect((await reserve(0.01)).ok).toBe(false);
    });

    it('never lets spend plus holds pass the limit when 100 concurrent requests reserve, settle and release', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 1 }));
      let peak = 0;
      const request = async (i: number) => {
        const held = await reserve(0.3);
        const s = await store.snapshot(acme);
        peak = Math.max(peak, (s?.spentUsd ?? 0) + (s?.reservedUsd ?? 0));
        if (!held.ok) return false;
        if (i % 2 === 0) await store.settle(held.reservationId, 0.05);
        else await store.release(held.reservationId);
        return true;
      };
      const granted = await Promise.all(Array.from({ length: 100 }, (_, i) => request(i)));
      expect(peak).toBeLessThanOrEqual(1);
      const s = await store.snapshot(acme);
      expect(s?.reservedUsd).toBe(0);
      expect(s?.spentUsd).toBeCloseTo(0.05 * granted.filter((ok, i) => ok && i % 2 === 0).length, 12);
      expect(s?.spentUsd).toBeLessThanOrEqual(1);
    });
  });

  describe('settle and release', () => {
    it('settle charges the actual amount and drops the hold', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 10 }));
      const held = await reserve(2);
      await store.settle(held.reservationId, 0.75);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 0.75, reservedUsd: 0 });
    });

    it('release drops the hold without charging', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 10 }));
      const held = await reserve(2);
      await store.release(held.reservationId);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
    });

    it('settling twice charges once', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 10, prepaidBalanceUsd: 5 }));
      const held = await reserve(1);
      await store.settle(held.reservationId, 1);
      await store.settle(held.reservationId, 1);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 1, reservedUsd: 0, prepaidBalanceUsd: 4 });
    });

    it('release after settle, settle after release and unknown ids are no-ops', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 10 }));
      const settled = await reserve(1);
      const released = await reserve(1);
      const open = await reserve(1);
      await store.settle(settled.reservationId, 1);
      await store.release(settled.reservationId);
      await store.release(released.reservationId);
      await store.settle(released.reservationId, 1);
      await store.release(released.reservationId);
      await store.settle(`${acme}-never-reserved`, 5);
      await store.release(`${acme}-never-reserved`);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 1, reservedUsd: 1 });
      await store.release(open.reservationId);
      expect((await store.snapshot(acme))?.reservedUsd).toBe(0);
    });

    it('a repeated reserve with the same id holds the amount once', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 10 }));
      await reserve(3, false, `${acme}-same`);
      expect((await reserve(3, false, `${acme}-same`)).ok).toBe(true);
      expect((await store.snapshot(acme))?.reservedUsd).toBe(3);
    });
  });

  describe('prepaid balance', () => {
    it('denies a reservation the balance cannot cover after holds, and names the prepaid budget', async () => {
      const { reserve } = await setup(budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 1 }));
      expect((await reserve(0.7)).ok).toBe(true);
      expect(await reserve(0.4)).toMatchObject({ ok: false, budget: 'prepaid' });
      expect((await reserve(0.3)).ok).toBe(true);
    });

    it('settle deducts the actual cost from the balance', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 1 }));
      const held = await reserve(0.7);
      await store.settle(held.reservationId, 0.5);
      expect((await store.snapshot(acme))?.prepaidBalanceUsd).toBeCloseTo(0.5, 12);
      expect((await reserve(0.5)).ok).toBe(true);
      expect(await reserve(0.01)).toMatchObject({ ok: false, budget: 'prepaid' });
    });

    it('records an overdraft when a call costs more than the balance', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 1 }));
      const held = await reserve(1);
      await store.settle(held.reservationId, 1.25);
      expect((await store.snapshot(acme))?.prepaidBalanceUsd).toBeCloseTo(-0.25, 12);
      expect(await reserve(0.01)).toMatchObject({ ok: false, budget: 'prepaid' });
    });

    it('setBudget tops up the balance and keeps the month spend', async () => {
      const { store, reserve, acme, setBudget } = await setup(budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 1 }));
      const held = await reserve(1);
      await store.settle(held.reservationId, 1);
      await setBudget(acme, budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 20 }));
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 1, prepaidBalanceUsd: 20 });
      expect((await reserve(5)).ok).toBe(true);
    });

    it('does not change the settings object it was given', async () => {
      const settings = budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 1 });
      const { store, reserve } = await setup(settings);
      const held = await reserve(0.5);
      await store.settle(held.reservationId, 0.5);
      expect(settings.prepaidBalanceUsd).toBe(1);
    });

    it('never holds more than the balance under 100 concurrent reservations', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 1 }));
      const results = await Promise.all(Array.from({ length: 100 }, () => reserve(0.25)));
      expect(results.filter((r) => r.ok)).toHaveLength(4);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.budget === 'prepaid')).toBe(true);
      expect((await store.snapshot(acme))?.reservedUsd).toBe(1);
    });
  });

  describe('daily cap', () => {
    it('denies a daily reservation past the cap and names the daily budget', async () => {
      const { reserve } = await setup(budget({ monthlyLimitUsd: 100, dailyLimitUsd: 1 }));
      expect((await reserve(0.6, true)).ok).toBe(true);
      expect(await reserve(0.5, true)).toMatchObject({ ok: false, budget: 'daily' });
      expect((await reserve(0.4, true)).ok).toBe(true);
    });

    it('does not apply to reservations that are not daily', async () => {
      const { reserve } = await setup(budget({ monthlyLimitUsd: 100, dailyLimitUsd: 1 }));
      expect((await reserve(5, false)).ok).toBe(true);
      expect((await reserve(1, true)).ok).toBe(true);
    });

    it('counts settled daily spend, and only daily spend, against the cap', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 100, dailyLimitUsd: 1 }));
      const daily = await reserve(0.5, true);
      const other = await reserve(0.5, false);
      await store.settle(daily.reservationId, 0.8);
      await store.settle(other.reservationId, 0.5);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 1.3, dailySpentUsd: 0.8 });
      expect(await reserve(0.3, true)).toMatchObject({ ok: false, budget: 'daily' });
    });

    it('names the monthly budget when the monthly limit is also passed', async () => {
      const { reserve } = await setup(budget({ monthlyLimitUsd: 1, dailyLimitUsd: 1 }));
      expect(await reserve(2, true)).toMatchObject({ ok: false, budget: 'monthly' });
    });

    it('never holds more than the cap under 100 concurrent daily reservations', async () => {
      const { store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 100, dailyLimitUsd: 0.5 }));
      const results = await Promise.all(Array.from({ length: 100 }, () => reserve(0.125, true)));
      expect(results.filter((r) => r.ok)).toHaveLength(4);
      expect((await store.snapshot(acme))?.reservedUsd).toBe(0.5);
    });

    it('resets at the start of the next UTC day', async () => {
      const { clock, store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 100, dailyLimitUsd: 1 }));
      await clock.advance(23 * HOUR);
      const held = await reserve(1, true);
      await store.settle(held.reservationId, 1);
      expect((await reserve(0.1, true)).ok).toBe(false);
      await clock.advance(HOUR);
      expect(await store.snapshot(acme)).toMatchObject({ dailySpentUsd: 0, spentUsd: 1 });
      expect((await reserve(1, true)).ok).toBe(true);
    });

    it('keeps daily holds made yesterday against the cap until they settle', async () => {
      const { clock, store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 100, dailyLimitUsd: 1 }));
      await clock.advance(23 * HOUR);
      const held = await reserve(0.75, true);
      await clock.advance(2 * HOUR);
      expect((await reserve(0.5, true)).ok).toBe(false);
      await store.settle(held.reservationId, 0.5);
      expect(await store.snapshot(acme)).toMatchObject({ dailySpentUsd: 0.5, reservedUsd: 0 });
      expect((await reserve(0.5, true)).ok).toBe(true);
    });
  });

  describe('retry budget', () => {
    it('grants retryBudgetPerDay retries, then refuses', async () => {
      const { store, acme } = await setup(budget({ retryBudgetPerDay: 3 }));
      const taken = [];
      for (let i = 0; i < 5; i++) taken.push(await store.consumeRetry(acme));
      expect(taken).toEqual([true, true, true, false, false]);
      expect((await store.snapshot(acme))?.retriesUsedToday).toBe(3);
    });

    it('refuses every retry when the budget is 0', async () => {
      const { store, acme } = await setup(budget({ retryBudgetPerDay: 0 }));
      expect(await store.consumeRetry(acme)).toBe(false);
    });

    it('is unlimited when retryBudgetPerDay is null', async () => {
      const { store, acme } = await setup(budget({ retryBudgetPerDay: null }));
      for (let i = 0; i < 100; i++) expect(await store.consumeRetry(acme)).toBe(true);
    });

    it('grants exactly the budget to 100 concurrent callers', async () => {
      const { store, acme } = await setup(budget({ retryBudgetPerDay: 7 }));
      const taken = await Promise.all(Array.from({ length: 100 }, () => store.consumeRetry(acme)));
      expect(taken.filter(Boolean)).toHaveLength(7);
    });

    it('refills at the start of the next UTC day', async () => {
      const { clock, store, acme } = await setup(budget({ retryBudgetPerDay: 1 }));
      expect(await store.consumeRetry(acme)).toBe(true);
      expect(await store.consumeRetry(acme)).toBe(false);
      await clock.advance(DAY - 1);
      expect(await store.consumeRetry(acme)).toBe(false);
      await clock.advance(1);
      expect(await store.consumeRetry(acme)).toBe(true);
    });
  });

  describe('month rollover', () => {
    it('keeps monthly spend across days of the same month', async () => {
      const { clock, store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 1 }));
      const held = await reserve(1);
      await store.settle(held.reservationId, 1);
      await clock.advance(30 * DAY);
      expect((await store.snapshot(acme))?.spentUsd).toBe(1);
      expect((await reserve(0.1)).ok).toBe(false);
    });

    it('resets monthly spend at the start of the next UTC calendar month', async () => {
      const { clock, store, reserve, acme } = await setup(budget({ monthlyLimitUsd: 1 }), Date.UTC(2026, 1, 28, 23));
      const held = await reserve(1);
      await store.settle(held.reservationId, 1);
      expect((await reserve(0.1)).ok).toBe(false);
      await clock.advance(HOUR);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 0, dailySpentUsd: 0 });
      expect((await reserve(1)).ok).toBe(true);
    });

    it('keeps holds that are in flight across the rollover and charges them to the new month', async () => {
      const { clock, store, reserve, acme } = await setup(
        budget({ monthlyLimitUsd: 1 }),
        Date.UTC(2026, 0, 31, 23, 59),
      );
      const held = await reserve(0.75);
      await clock.advance(2 * 60_000);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 0, reservedUsd: 0.75 });
      expect((await reserve(0.5)).ok).toBe(false);
      await store.settle(held.reservationId, 0.5);
      expect(await store.snapshot(acme)).toMatchObject({ spentUsd: 0.5, reservedUsd: 0 });
    });
  });

  // Only a store shared by processes has a second instance to race with; the memory store has none.
  if (impl.shared) {
    it('two store instances reserving and settling at once on one database never overspend and never deadlock', async () => {
      const clock = createFakeClock();
      const first = factory.create(clock);
      const second = factory.peer(clock);
      const acme = fresh('acme');
      await first.setBudget(acme, budget({ monthlyLimitUsd: 2, prepaidBalanceUsd: 1.8, dailyLimitUsd: 1.5 }));
      const request = async (store: BudgetStore, i: number) => {
        const reservationId = `${acme}-${i}`;
        const daily = i % 3 !== 0;
        const held = await store.reserve({ tenantId: acme, reservationId, amountUsd: 0.1, daily });
        if (!held.ok) return { daily, charged: 0 };
        if (i % 4 === 0) {
          await store.release(reservationId);
          return { daily, charged: 0 };
        }
        await store.settle(reservationId, 0.1);
        return { daily, charged: 0.1 };
      };
      const outcomes = await Promise.all(
        Array.from({ length: 120 }, (_, i) => request(i % 2 === 0 ? first.store : second.store, i)),
      );
      const charged = outcomes.reduce((sum, o) => sum + o.charged, 0);
      const dailyCharged = outcomes.reduce((sum, o) => sum + (o.daily ? o.charged : 0), 0);
      const s = await first.store.snapshot(acme);
      expect(s?.reservedUsd).toBe(0);
      expect(s?.spentUsd).toBeCloseTo(charged, 9);
      expect(s?.spentUsd).toBeLessThanOrEqual(1.8);
      expect(s?.dailySpentUsd).toBeCloseTo(dailyCharged, 9);
      expect(s?.dailySpentUsd).toBeLessThanOrEqual(1.5);
      expect(s?.prepaidBalanceUsd).toBeCloseTo(1.8 - charged, 9);
      expect(s?.prepaidBalanceUsd).toBeGreaterThanOrEqual(0);
    }, 30_000);
  }
});

describe.each(await testDatabases())('Postgres budget store administration ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await handle.db.insert(tenants).values([
      { id: 'prepaid', name: 'Prepaid' },
      { id: 'postpaid', name: 'Postpaid' },
    ]);
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
  });

  it('topUp adds to the balance and writes a topup ledger row; settle writes a charge row', async () => {
    const store = createPgBudgetStore({ db: handle.db, clock: createFakeClock() });
    await store.setBudget('prepaid', budget({ monthlyLimitUsd: 100, prepaidBalanceUsd: 1 }));
    expect(await store.topUp('prepaid', 2.5)).toBe(3.5);
    await store.reserve({ tenantId: 'prepaid', reservationId: 'p1', amountUsd: 1, daily: false });
    await store.settle('p1', 0.4);
    expect((await store.snapshot('prepaid'))?.prepaidBalanceUsd).toBeCloseTo(3.1, 9);
    const ledger = await handle.db.select().from(spendLedger).where(eq(spendLedger.tenantId, 'prepaid'));
    expect(ledger.map((r) => [r.kind, r.amountUsd]).sort()).toEqual([
      ['charge', 0.4],
      ['topup', 2.5],
    ]);
  });

  it('rejects a NaN or negative amount before it can poison the usage rows', async () => {
    const store = createPgBudgetStore({ db: handle.db, clock: createFakeClock() });
    await store.setBudget('postpaid', budget({ monthlyLimitUsd: 100 }));
    const code = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => isBackstopError(e) && e.code,
      );
    const reserve = (amountUsd: number) =>
      store.reserve({ tenantId: 'postpaid', reservationId: `nan-${amountUsd}`, amountUsd, daily: false });
    expect(await code(reserve(Number.NaN))).toBe('INTERNAL');
    expect(await code(reserve(-1))).toBe('INTERNAL');
    expect((await reserve(1)).ok).toBe(true);
    expect(await code(store.settle('nan-1', Number.NaN))).toBe('INTERNAL');
    await store.settle('nan-1', 0.5);
    expect(await store.snapshot('postpaid')).toMatchObject({ spentUsd: 0.5, reservedUsd: 0 });
  });

  it('topUp refuses a tenant without a prepaid balance and a non-positive amount', async () => {
    const store = createPgBudgetStore({ db: handle.db, clock: createFakeClock() });
    await store.setBudget('postpaid', budget({ monthlyLimitUsd: 100 }));
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => isBackstopError(e) && e.code,
      );
    expect(await refused(store.topUp('postpaid', 1))).toBe('REQUEST_REJECTED');
    expect(await refused(store.topUp('prepaid', 0))).toBe('REQUEST_REJECTED');
    const rows = await handle.db
      .select()
      .from(spendLedger)
      .where(and(eq(spendLedger.tenantId, 'postpaid'), eq(spendLedger.kind, 'topup')));
    expect(rows).toHaveLength(0);
  });
});

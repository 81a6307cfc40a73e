import type { BudgetStore } from '../../shared/engine/ports.js';
import { describe, expect, it } from 'vitest';

import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { DAY, HOUR, IMPLEMENTATIONS, budget, useBudgetSuite } from './budget-store-implementations.js';

describe.each(IMPLEMENTATIONS)('BudgetStore contract, days and months: $name', (impl) => {
  const { setup, fresh, factory } = useBudgetSuite(impl);

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
      const first = factory().create(clock);
      const second = factory().peer(clock);
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

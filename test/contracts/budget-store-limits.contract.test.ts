import { describe, expect, it } from 'vitest';

import { IMPLEMENTATIONS, budget, useBudgetSuite } from './budget-store-implementations.js';

describe.each(IMPLEMENTATIONS)('BudgetStore contract, limits: $name', (impl) => {
  const { setup, fresh } = useBudgetSuite(impl);

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
});

import { describe, expect, it, vi } from 'vitest';
import { createMemoryBudgetStore } from '../../shared/engine/memory-budget-store.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { withCachedSnapshots } from './snapshot-cache.js';

const settings = { monthlyLimitUsd: 10, prepaidBalanceUsd: null, dailyLimitUsd: null, retryBudgetPerDay: null };

describe('cached budget snapshots', () => {
  it('reads the store once per tenant per second and again after that', async () => {
    const clock = createFakeClock();
    const store = createMemoryBudgetStore({ clock, settings: { a: settings } });
    const read = vi.spyOn(store, 'snapshot');
    const cached = withCachedSnapshots(store, clock);
    await cached.snapshot('a');
    await cached.snapshot('a');
    expect(read).toHaveBeenCalledTimes(1);
    await clock.advance(1_000);
    await cached.snapshot('a');
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('always sends reservations to the store, so the limit stays exact', async () => {
    const clock = createFakeClock();
    const cached = withCachedSnapshots(createMemoryBudgetStore({ clock, settings: { a: settings } }), clock);
    await cached.snapshot('a');
    expect(await cached.reserve({ tenantId: 'a', reservationId: 'r1', amountUsd: 9, daily: false })).toEqual({
      ok: true,
    });
    expect(await cached.reserve({ tenantId: 'a', reservationId: 'r2', amountUsd: 2, daily: false })).toMatchObject({
      ok: false,
    });
  });

  it('does not keep a failed read', async () => {
    const clock = createFakeClock();
    const store = createMemoryBudgetStore({ clock });
    const read = vi.spyOn(store, 'snapshot').mockRejectedValueOnce(new Error('db down'));
    const cached = withCachedSnapshots(store, clock);
    await expect(cached.snapshot('a')).rejects.toThrow('db down');
    await cached.snapshot('a');
    expect(read).toHaveBeenCalledTimes(2);
  });
});

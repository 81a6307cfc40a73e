import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { spendLedger, tenants } from '../../drizzle/schema/index.js';
import type { BudgetSettings } from '../../shared/contracts/budget.js';
import { isBackstopError } from '../../shared/engine/errors.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { createPgBudgetStore } from './pg-budget-store.js';

// The port's behaviour is proved by test/contracts/budget-store-*.contract.test.ts; these are Postgres-only extras.
const budget = (over: Partial<BudgetSettings> = {}): BudgetSettings => ({
  monthlyLimitUsd: 1,
  prepaidBalanceUsd: null,
  dailyLimitUsd: null,
  retryBudgetPerDay: null,
  ...over,
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

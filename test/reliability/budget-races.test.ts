import { describe, expect, it } from 'vitest';
import { createPgBudgetStore } from '../../server/services/pg-budget-store.js';
import { systemClock } from '../../server/system-clock.js';
import { startTestBackstop, type TestBackstop } from '../support/backstop.js';
import { testDatabases } from '../support/databases.js';

// Budget races at scale: two gateway instances on one database, hundreds of concurrent completions against a budget
// about a hundred reservations wide. Leases serve the start, exact reservations the end; together they never overspend.
const COMPLETE = /* GraphQL */ `
  mutation ($input: CompleteInput!) {
    complete(input: $input) {
      costUsd
    }
  }
`;
const TENANT = 'race-co';
const LIMIT_USD = 0.5; // a critical call reserves about 0.0052 USD
const REQUESTS_PER_INSTANCE = 400;
const CONCURRENCY_PER_INSTANCE = 100;

type Reply = Awaited<ReturnType<TestBackstop['gql']>> & { data?: { complete: { costUsd: number } } };

async function hammer(tb: TestBackstop, key: string): Promise<Reply[]> {
  const input = { trafficClass: 'critical', messages: [{ role: 'user', content: 'spend a little' }] };
  const replies: Reply[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY_PER_INSTANCE }, async () => {
      while (sent++ < REQUESTS_PER_INSTANCE) replies.push(await tb.gql(COMPLETE, { input }, key));
    }),
  );
  return replies;
}

describe.each(await testDatabases())('budget races at scale ($name)', ({ open }) => {
  it('two instances under 800 concurrent completions never pass a budget a hundred requests wide', async () => {
    const database = await open();
    const a = await startTestBackstop({ database });
    const b = await startTestBackstop({ database });
    try {
      await a.services.tenants.ensureTenant(TENANT);
      await a.services.budgets.setBudget(TENANT, {
        monthlyLimitUsd: LIMIT_USD,
        prepaidBalanceUsd: null,
        dailyLimitUsd: null,
        retryBudgetPerDay: null,
      });
      const [keyA, keyB] = [await a.key('tenant', TENANT), await b.key('tenant', TENANT)];
      const replies = (await Promise.all([hammer(a, keyA), hammer(b, keyB)])).flat();

      const answered = replies.filter((r) => r.data?.complete);
      const codes = new Set(replies.flatMap((r) => r.errors?.map((e) => e.extensions?.code) ?? []));
      expect(replies).toHaveLength(2 * REQUESTS_PER_INSTANCE);
      expect([...codes].filter((c) => c !== 'QUOTA_EXHAUSTED')).toEqual([]);
      expect(answered.length).toBeGreaterThan(50);
      expect(answered.length).toBeLessThan(replies.length);

      await Promise.all([a.services.budgets.flush(), b.services.budgets.flush()]);
      const charged = answered.reduce((s, r) => s + r.data!.complete.costUsd, 0);
      const stored = await createPgBudgetStore({ db: database.db, clock: systemClock }).snapshot(TENANT);
      expect(charged).toBeLessThanOrEqual(LIMIT_USD);
      expect(stored!.spentUsd).toBeCloseTo(charged, 9);
      expect(stored!.spentUsd + stored!.reservedUsd).toBeLessThanOrEqual(LIMIT_USD + 1e-9);
    } finally {
      await a.close();
      await b.close();
      await database.close();
    }
  }, 120_000);
});

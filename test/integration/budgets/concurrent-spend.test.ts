import { describe, expect, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startTestBackstop } from '../../support/backstop.js';

const COMPLETE = /* GraphQL */ `
  mutation ($input: CompleteInput!) {
    complete(input: $input) {
      costUsd
    }
  }
`;

describe.each(await testDatabases())('spend under concurrency ($name)', ({ open }) => {
  it('never overspends a small budget with 40 concurrent completions, and never deadlocks', async () => {
    const database = await open();
    const tb = await startTestBackstop({ database });
    try {
      await tb.services.tenants.ensureTenant('tight');
      // Each critical call reserves about 0.0052 USD (gpt-4o, 512 output tokens) and costs far less: a few fit at once.
      const limit = 0.02;
      await tb.services.budgets.setBudget('tight', {
        monthlyLimitUsd: limit,
        prepaidBalanceUsd: null,
        dailyLimitUsd: null,
        retryBudgetPerDay: null,
      });
      const key = await tb.key('tenant', 'tight');
      const input = { trafficClass: 'critical', messages: [{ role: 'user', content: 'spend a little' }] };
      const results = await Promise.all(
        Array.from({ length: 40 }, () => tb.gql<{ complete: { costUsd: number } }>(COMPLETE, { input }, key)),
      );

      const answered = results.filter((r) => r.data?.complete);
      const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'QUOTA_EXHAUSTED');
      expect(answered.length + refused.length).toBe(40);
      expect(answered.length).toBeGreaterThan(0);
      const snap = await tb.services.budgets.snapshot('tight');
      expect(snap!.spentUsd).toBeLessThanOrEqual(limit);
      expect(snap!.reservedUsd).toBe(0);
      const charged = answered.reduce((s, r) => s + r.data!.complete.costUsd, 0);
      expect(snap!.spentUsd).toBeCloseTo(charged, 9);
    } finally {
      await tb.close();
      await database.close();
    }
  }, 120_000);
});

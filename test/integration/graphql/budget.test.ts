import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError, expectRejected } from './support.js';

const BUDGET_FIELDS = /* GraphQL */ `
  tenantId
  monthlyLimitUsd
  prepaidBalanceUsd
  dailyLimitUsd
  retryBudgetPerDay
  spentUsd
  reservedUsd
  dailySpentUsd
  usedFraction
  band
  projectedMonthEndUsd
`;
const SET_BUDGET = /* GraphQL */ `
  mutation ($tenantId: ID!, $input: BudgetInput!) {
    setBudget(tenantId: $tenantId, input: $input) { ${BUDGET_FIELDS} }
  }
`;
const TOP_UP = /* GraphQL */ `
  mutation ($tenantId: ID!, $amountUsd: Float!) {
    topUpBudget(tenantId: $tenantId, amountUsd: $amountUsd) {
      prepaidBalanceUsd
    }
  }
`;
const BUDGET = /* GraphQL */ `
  query ($tenantId: ID) {
    budget(tenantId: $tenantId) { ${BUDGET_FIELDS} }
  }
`;

type BudgetData = Record<string, unknown>;

let tb: TestBackstop;
let viewer: string;
let acmeKey: string;
beforeAll(async () => {
  tb = await startTestBackstop();
  viewer = await tb.key('viewer');
  acmeKey = await tb.key('tenant', 'acme');
  await tb.services.tenants.ensureTenant('globex');
});
afterAll(() => tb.close());

describe('budgets', () => {
  it('sets a budget and reports spend, band and projection', async () => {
    const { setBudget } = expectData<{ setBudget: BudgetData }>(
      await tb.gql(SET_BUDGET, {
        tenantId: 'acme',
        input: { monthlyLimitUsd: 100, prepaidBalanceUsd: 50, dailyLimitUsd: 5, retryBudgetPerDay: 20 },
      }),
    );
    expect(setBudget).toEqual({
      tenantId: 'acme',
      monthlyLimitUsd: 100,
      prepaidBalanceUsd: 50,
      dailyLimitUsd: 5,
      retryBudgetPerDay: 20,
      spentUsd: 0,
      reservedUsd: 0,
      dailySpentUsd: 0,
      usedFraction: 0,
      band: 'normal',
      projectedMonthEndUsd: 0,
    });
  });

  it('moves the band with spend, using the live policy’s bands', async () => {
    await tb.services.budgets.reserve({ tenantId: 'acme', reservationId: 'r-band', amountUsd: 30, daily: false });
    await tb.services.budgets.settle('r-band', 30);
    await tb.gql(SET_BUDGET, { tenantId: 'acme', input: { monthlyLimitUsd: 40, prepaidBalanceUsd: 50 } });
    const { budget } = expectData<{ budget: BudgetData }>(await tb.gql(BUDGET, { tenantId: 'acme' }));
    // 30 of 40 is 0.75: past the default downgrade band (0.70), short of conserve (0.80).
    expect(budget).toMatchObject({ spentUsd: 30, usedFraction: 0.75, band: 'downgrade' });
    expect(budget.projectedMonthEndUsd).toBeGreaterThanOrEqual(30);
  });

  it('agrees with the budget store’s own snapshot, holds in flight included', async () => {
    await tb.services.budgets.reserve({ tenantId: 'acme', reservationId: 'r-held', amountUsd: 1.25, daily: true });
    await tb.services.budgets.consumeRetry('acme');
    const { budget } = expectData(
      await tb.gql('query { budget(tenantId: "acme") { spentUsd reservedUsd dailySpentUsd retriesUsedToday } }'),
    );
    const { spentUsd, reservedUsd, dailySpentUsd, retriesUsedToday } = (await tb.services.budgets.snapshot('acme'))!;
    expect(budget).toEqual({ spentUsd, reservedUsd, dailySpentUsd, retriesUsedToday });
    expect(reservedUsd).toBe(1.25);
    await tb.services.budgets.release('r-held');
  });

  it('tops up a prepaid balance', async () => {
    await tb.gql(SET_BUDGET, { tenantId: 'acme', input: { monthlyLimitUsd: 100, prepaidBalanceUsd: 10 } });
    const { topUpBudget } = expectData(await tb.gql(TOP_UP, { tenantId: 'acme', amountUsd: 15.5 }));
    expect(topUpBudget).toEqual({ prepaidBalanceUsd: 25.5 });
  });

  it('shows a tenant’s budget on the tenant, null when it has none', async () => {
    const { tenants } = expectData<{ tenants: { id: string; budget: { monthlyLimitUsd: number } | null }[] }>(
      await tb.gql('{ tenants { id budget { monthlyLimitUsd } } }'),
    );
    expect(tenants.find((t) => t.id === 'acme')!.budget).toEqual({ monthlyLimitUsd: 100 });
    expect(tenants.find((t) => t.id === 'globex')!.budget).toBeNull();
  });

  it('rejects a negative or missing amount, naming the field and writing nothing', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ monthlyLimitUsd: -1 }, /input\.monthlyLimitUsd/],
      [{ monthlyLimitUsd: 10, dailyLimitUsd: -5 }, /input\.dailyLimitUsd/],
      [{ monthlyLimitUsd: 10, prepaidBalanceUsd: -0.01 }, /input\.prepaidBalanceUsd/],
      [{ monthlyLimitUsd: 10, retryBudgetPerDay: -3 }, /input\.retryBudgetPerDay/],
      [{ monthlyLimitUsd: 1e12 }, /input\.monthlyLimitUsd/],
    ];
    for (const [input, field] of bad) {
      const error = await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(SET_BUDGET, { tenantId: 'acme', input }));
      expect(error.message).toMatch(field);
      const issues = error.extensions!.issues as { path: string }[];
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) expect(issue.path).toMatch(field);
    }
    await expectRejected(tb, 'NOT_FOUND', () =>
      tb.gql(SET_BUDGET, { tenantId: 'nope', input: { monthlyLimitUsd: 1 } }),
    );
    for (const amountUsd of [0, -5]) {
      const error = await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(TOP_UP, { tenantId: 'acme', amountUsd }));
      expect(error.message).toMatch(/amountUsd/);
    }
    // globex has no budget at all, so no prepaid balance to add to.
    await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(TOP_UP, { tenantId: 'globex', amountUsd: 5 }));
    await expectRejected(tb, 'NOT_FOUND', () => tb.gql(TOP_UP, { tenantId: 'nope', amountUsd: 5 }));
  });

  it('lets a tenant read only its own budget and nobody but admins change one', async () => {
    const own = expectData<{ budget: BudgetData }>(await tb.gql(BUDGET, {}, acmeKey));
    expect(own.budget.tenantId).toBe('acme');
    expectError(await tb.gql(BUDGET, { tenantId: 'globex' }, acmeKey), 'FORBIDDEN');
    expectData(await tb.gql(BUDGET, { tenantId: 'acme' }, viewer));
    expectError(await tb.gql(BUDGET, {}, viewer), 'BAD_USER_INPUT');
    for (const key of [viewer, acmeKey]) {
      await expectRejected(tb, 'FORBIDDEN', () =>
        tb.gql(SET_BUDGET, { tenantId: 'acme', input: { monthlyLimitUsd: 1e6 } }, key),
      );
      await expectRejected(tb, 'FORBIDDEN', () => tb.gql(TOP_UP, { tenantId: 'acme', amountUsd: 1000 }, key));
    }
  });
});

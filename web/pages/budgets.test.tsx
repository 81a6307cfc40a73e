// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockClient, renderWithClient, TEST_SESSION, type Responder } from '../lib/testing.js';
import { BudgetsPage } from './budgets.js';

const budget = (over: Record<string, unknown> = {}) => ({
  tenantId: 'acme',
  band: 'normal',
  monthlyLimitUsd: 1000,
  dailyLimitUsd: 100,
  dailySpentUsd: 12,
  prepaidBalanceUsd: 250,
  projectedMonthEndUsd: 900,
  reservedUsd: 50,
  retriesUsedToday: 3,
  retryBudgetPerDay: 10,
  spentUsd: 600,
  usedFraction: 0.65,
  ...over,
});

const page = (
  tenants: unknown[],
  document: unknown = { budgetBands: { downgrade: 0.6, conserve: 0.8, criticalOnly: 0.9 } },
) => ({
  tenants,
  policy: { id: 'p1', document },
});

function answer(data: unknown, mutations: Record<string, unknown> = {}): Responder {
  return (name) => (name === 'BudgetsQuery' ? data : mutations[name]);
}

const acme = (b: unknown = budget()) => ({ id: 'acme', name: 'Acme', budget: b });

describe('BudgetsPage', () => {
  afterEach(cleanup);

  it('shows a tenant’s usage bar against its limit with the policy’s band ticks, and its numbers', async () => {
    renderWithClient(<BudgetsPage />, createMockClient(answer(page([acme()]))));
    const meter = await screen.findByRole('meter', { name: 'Acme monthly budget used' });
    expect(meter.getAttribute('aria-valuenow')).toBe('650');
    expect(meter.getAttribute('aria-valuemax')).toBe('1000');
    expect([...meter.querySelectorAll<HTMLElement>('.band')].map((t) => t.style.left)).toEqual(['60%', '80%', '90%']);
    const card = screen.getByRole('region', { name: 'Acme' });
    expect(within(card).getByText('band: normal')).toBeTruthy();
    const row = (name: string) => within(card).getByRole('row', { name: new RegExp(name) }).textContent;
    expect(row('Spent this month')).toContain('$600.00 of $1,000.00');
    expect(row('Spent today')).toContain('$12.00 of $100.00');
    expect(row('Prepaid balance')).toContain('$250.00');
    expect(row('Retries today')).toContain('3 of 10');
    expect(within(card).queryByText(/Over limit by/)).toBeNull();
  });

  it('warns when the month is projected to end over the limit', async () => {
    renderWithClient(<BudgetsPage />, createMockClient(answer(page([acme(budget({ projectedMonthEndUsd: 1250 }))]))));
    expect((await screen.findByText(/Over limit by/)).textContent).toBe('Over limit by $250.00');
  });

  it('says post-paid and no daily limit where there are none', async () => {
    renderWithClient(
      <BudgetsPage />,
      createMockClient(
        answer(page([acme(budget({ prepaidBalanceUsd: null, dailyLimitUsd: null, retryBudgetPerDay: null }))])),
      ),
    );
    expect(await screen.findByText('post-paid')).toBeTruthy();
    expect(screen.getByText(/no daily limit/)).toBeTruthy();
    expect(screen.queryByLabelText('Top-up amount (USD)')).toBeNull();
  });

  it('sets a budget for a tenant without one, sending the numbers and blanks as null', async () => {
    const mock = createMockClient(
      answer(page([{ id: 'beta', name: 'Beta', budget: null }]), {
        SetBudgetMutation: { setBudget: { tenantId: 'beta', monthlyLimitUsd: 500, prepaidBalanceUsd: null } },
      }),
    );
    renderWithClient(<BudgetsPage />, mock);
    expect(await screen.findByText('No budget (unlimited)')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Set budget' }));
    await userEvent.type(screen.getByLabelText('Monthly limit (USD)'), '500');
    await userEvent.type(screen.getByLabelText('Retry budget per day'), '20');
    await userEvent.click(screen.getByRole('button', { name: 'Save budget' }));
    expect(await screen.findByText('Budget saved.')).toBeTruthy();
    expect(mock.calls.find((c) => c.name === 'SetBudgetMutation')?.variables).toEqual({
      tenantId: 'beta',
      input: { monthlyLimitUsd: 500, dailyLimitUsd: null, prepaidBalanceUsd: null, retryBudgetPerDay: 20 },
    });
  });

  it('refuses a negative limit with a message beside the field, and sends nothing', async () => {
    const mock = createMockClient(answer(page([acme()])));
    renderWithClient(<BudgetsPage />, mock);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit budget' }));
    const limit = screen.getByLabelText('Monthly limit (USD)');
    expect((limit as HTMLInputElement).value).toBe('1000');
    await userEvent.clear(limit);
    await userEvent.type(limit, '-5');
    await userEvent.click(screen.getByRole('button', { name: 'Save budget' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Monthly limit cannot be negative.');
    expect(limit.getAttribute('aria-invalid')).toBe('true');
    expect(mock.calls.some((c) => c.kind === 'mutation')).toBe(false);
  });

  it('shows the server’s refusal inline', async () => {
    const denied = Object.assign(new Error('admins only'), { code: 'FORBIDDEN' });
    renderWithClient(<BudgetsPage />, createMockClient(answer(page([acme()]), { SetBudgetMutation: denied })));
    await userEvent.click(await screen.findByRole('button', { name: 'Edit budget' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save budget' }));
    expect((await screen.findByRole('alert')).textContent).toBe('admins only');
  });

  it('tops up a prepaid balance and says what it became', async () => {
    const mock = createMockClient(
      answer(page([acme()]), { TopUpBudgetMutation: { topUpBudget: { tenantId: 'acme', prepaidBalanceUsd: 300 } } }),
    );
    renderWithClient(<BudgetsPage />, mock);
    await userEvent.type(await screen.findByLabelText('Top-up amount (USD)'), '50');
    await userEvent.click(screen.getByRole('button', { name: 'Top up' }));
    expect(await screen.findByText('Topped up: the balance is now $300.00.')).toBeTruthy();
    expect(mock.calls.find((c) => c.name === 'TopUpBudgetMutation')?.variables).toEqual({
      tenantId: 'acme',
      amountUsd: 50,
    });
  });

  it('gives viewers no controls that change budgets', async () => {
    renderWithClient(<BudgetsPage />, createMockClient(answer(page([acme()]))), '/budgets', {
      ...TEST_SESSION,
      role: 'viewer',
    });
    await screen.findByRole('meter');
    expect(screen.queryByRole('button', { name: 'Edit budget' })).toBeNull();
    expect(screen.queryByLabelText('Top-up amount (USD)')).toBeNull();
  });

  it('says so when there are no tenants', async () => {
    renderWithClient(<BudgetsPage />, createMockClient(answer(page([]))));
    expect(await screen.findByText(/No tenants yet/)).toBeTruthy();
  });

  it('shows the error, with a retry, when the query fails', async () => {
    renderWithClient(
      <BudgetsPage />,
      createMockClient(() => Object.assign(new Error('db down'), { code: 'INTERNAL' })),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('db down');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

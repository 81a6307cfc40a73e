import { describe, expect, it } from 'vitest';
import { budgetFormValues, parseBudgetForm, parseTopUp } from './budget-input.js';

const blank = { monthlyLimitUsd: '', dailyLimitUsd: '', prepaidBalanceUsd: '', retryBudgetPerDay: '' };

describe('parseBudgetForm', () => {
  it('turns blanks into "none": no daily cap, post-paid, no retry budget', () => {
    expect(parseBudgetForm({ ...blank, monthlyLimitUsd: ' 1000 ' })).toEqual({
      ok: true,
      input: { monthlyLimitUsd: 1000, dailyLimitUsd: null, prepaidBalanceUsd: null, retryBudgetPerDay: null },
    });
  });

  it('requires a monthly limit', () => {
    expect(parseBudgetForm(blank)).toEqual({
      ok: false,
      errors: { monthlyLimitUsd: 'Enter a monthly limit (0 or more).' },
    });
  });

  it('names each field at fault: negative, not a number, fractional retries, too large', () => {
    const result = parseBudgetForm({
      monthlyLimitUsd: '-5',
      dailyLimitUsd: 'ten',
      prepaidBalanceUsd: '1000000000',
      retryBudgetPerDay: '2.5',
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        monthlyLimitUsd: 'Monthly limit cannot be negative.',
        dailyLimitUsd: 'Daily limit must be a number.',
        prepaidBalanceUsd: 'Prepaid balance must be at most $999,999,999.',
        retryBudgetPerDay: 'Retry budget must be a whole number of retries.',
      },
    });
  });

  it('prefills from a budget and round-trips', () => {
    const budget = { monthlyLimitUsd: 500, dailyLimitUsd: null, prepaidBalanceUsd: 20.5, retryBudgetPerDay: 10 };
    expect(parseBudgetForm(budgetFormValues(budget))).toEqual({ ok: true, input: budget });
    expect(budgetFormValues(null)).toEqual(blank);
  });
});

describe('parseTopUp', () => {
  it('accepts a positive amount and refuses zero, negatives and text', () => {
    expect(parseTopUp('25')).toEqual({ ok: true, amountUsd: 25 });
    expect(parseTopUp('0')).toEqual({ ok: false, error: 'The amount must be more than $0.' });
    expect(parseTopUp('-3')).toEqual({ ok: false, error: 'The amount must be more than $0.' });
    expect(parseTopUp('abc')).toEqual({ ok: false, error: 'The amount must be a number.' });
    expect(parseTopUp('')).toEqual({ ok: false, error: 'Enter an amount to add.' });
  });
});

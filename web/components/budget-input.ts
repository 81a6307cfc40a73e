import { BudgetSettingsSchema } from '../../shared/contracts/budget.js';

/** What the budget form holds: text as typed, blank for "none" on the optional fields. */
export interface BudgetFormValues {
  monthlyLimitUsd: string;
  dailyLimitUsd: string;
  prepaidBalanceUsd: string;
  retryBudgetPerDay: string;
}
export type BudgetField = keyof BudgetFormValues;

/** `setBudget`'s input: null means no daily cap, post-paid, no retry budget. Amounts in USD. */
export interface BudgetSettingsInput {
  monthlyLimitUsd: number;
  dailyLimitUsd: number | null;
  prepaidBalanceUsd: number | null;
  retryBudgetPerDay: number | null;
}

export type BudgetFormResult =
  { ok: true; input: BudgetSettingsInput } | { ok: false; errors: Partial<Record<BudgetField, string>> };

// The server stores money as numeric(18, 9) and rejects more than this (server/graphql/domains/budget.ts).
export const MAX_USD = 999_999_999;

const LABELS: Record<BudgetField, string> = {
  monthlyLimitUsd: 'Monthly limit',
  dailyLimitUsd: 'Daily limit',
  prepaidBalanceUsd: 'Prepaid balance',
  retryBudgetPerDay: 'Retry budget',
};

/** One amount: a number, or a message in words. Blank is null unless required. */
function parseAmount(field: BudgetField, text: string, required: boolean): number | null | string {
  const label = LABELS[field];
  const trimmed = text.trim();
  if (trimmed === '') return required ? `Enter a ${label.toLowerCase()} (0 or more).` : null;
  const n = Number(trimmed);
  if (!Number.isFinite(n)) return `${label} must be a number.`;
  if (n < 0) return `${label} cannot be negative.`;
  if (field === 'retryBudgetPerDay') return Number.isInteger(n) ? n : `${label} must be a whole number of retries.`;
  if (n > MAX_USD) return `${label} must be at most $999,999,999.`;
  return n;
}

/** Checks the form as the server will (BudgetSettingsSchema), with messages that name the field. */
export function parseBudgetForm(values: BudgetFormValues): BudgetFormResult {
  const errors: Partial<Record<BudgetField, string>> = {};
  const read = (field: BudgetField, required = false) => {
    const v = parseAmount(field, values[field], required);
    if (typeof v === 'string') errors[field] = v;
    return typeof v === 'number' ? v : null;
  };
  const input: BudgetSettingsInput = {
    monthlyLimitUsd: read('monthlyLimitUsd', true) ?? 0,
    dailyLimitUsd: read('dailyLimitUsd'),
    prepaidBalanceUsd: read('prepaidBalanceUsd'),
    retryBudgetPerDay: read('retryBudgetPerDay'),
  };
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  // The shared contract has the last word, should it gain a rule the checks above do not know.
  const checked = BudgetSettingsSchema.safeParse(input);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = issue.path[0] as BudgetField;
      errors[field] ??= `${LABELS[field] ?? 'Budget'}: ${issue.message}`;
    }
    return { ok: false, errors };
  }
  return { ok: true, input };
}

/** The form prefilled from a budget, or blank for a tenant that has none. */
export function budgetFormValues(budget: BudgetSettingsInput | null): BudgetFormValues {
  const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
  return {
    monthlyLimitUsd: text(budget?.monthlyLimitUsd),
    dailyLimitUsd: text(budget?.dailyLimitUsd),
    prepaidBalanceUsd: text(budget?.prepaidBalanceUsd),
    retryBudgetPerDay: text(budget?.retryBudgetPerDay),
  };
}

/** A top-up amount: more than zero and at most MAX_USD, in USD. */
export function parseTopUp(text: string): { ok: true; amountUsd: number } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'Enter an amount to add.' };
  const n = Number(trimmed);
  if (!Number.isFinite(n)) return { ok: false, error: 'The amount must be a number.' };
  if (n <= 0) return { ok: false, error: 'The amount must be more than $0.' };
  if (n > MAX_USD) return { ok: false, error: 'The amount must be at most $999,999,999.' };
  return { ok: true, amountUsd: n };
}

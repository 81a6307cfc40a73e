import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../lib/graphql.js';
import { budgetFormValues, parseBudgetForm, type BudgetField, type BudgetSettingsInput } from './budget-input.js';
import { fieldIssues } from './field-issues.js';
import { FormField } from './form-field.js';

export const SetBudgetMutation = graphql(`
  mutation SetBudgetMutation($tenantId: ID!, $input: BudgetInput!) {
    setBudget(tenantId: $tenantId, input: $input) {
      tenantId
      monthlyLimitUsd
      prepaidBalanceUsd
    }
  }
`);

const FIELDS: readonly BudgetField[] = ['monthlyLimitUsd', 'dailyLimitUsd', 'prepaidBalanceUsd', 'retryBudgetPerDay'];

const FIELD_TEXT: Record<BudgetField, { label: string; hint: string }> = {
  monthlyLimitUsd: { label: 'Monthly limit (USD)', hint: 'Spend allowed per UTC month.' },
  dailyLimitUsd: { label: 'Daily limit (USD)', hint: 'Blank for no daily cap.' },
  prepaidBalanceUsd: { label: 'Prepaid balance (USD)', hint: 'Replaces the balance; blank for post-paid.' },
  retryBudgetPerDay: { label: 'Retry budget per day', hint: 'Batch retries a day; blank for none.' },
};

export interface BudgetFormProps {
  tenantId: string;
  tenantName: string;
  /** The budget being replaced, or null when the tenant has none yet. */
  current: BudgetSettingsInput | null;
  onSaved(): void;
  onCancel(): void;
}

/** Sets or replaces a tenant's budget; checks the numbers before sending and shows the server's issues by field. */
export function BudgetForm({ tenantId, tenantName, current, onSaved, onCancel }: BudgetFormProps) {
  const [values, setValues] = useState(() => budgetFormValues(current));
  const [errors, setErrors] = useState<Partial<Record<BudgetField, string>>>({});
  const [result, setBudget] = useMutation(SetBudgetMutation);
  const server = fieldIssues(result.error, FIELDS);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseBudgetForm(values);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    const answer = await setBudget({ tenantId, input: parsed.input });
    if (!answer.error) onSaved();
  };

  return (
    <form onSubmit={submit} aria-label={`Budget for ${tenantName}`} noValidate>
      <h3>{current ? 'Edit budget' : 'Set budget'}</h3>
      <div className="grid-3">
        {FIELDS.map((field) => (
          <FormField
            key={field}
            label={FIELD_TEXT[field].label}
            hint={FIELD_TEXT[field].hint}
            error={errors[field] ?? server.fields[field]}
          >
            {(control) => (
              <input
                {...control}
                type="text"
                inputMode={field === 'retryBudgetPerDay' ? 'numeric' : 'decimal'}
                value={values[field]}
                onChange={(e) => setValues({ ...values, [field]: e.target.value })}
              />
            )}
          </FormField>
        ))}
      </div>
      {server.general && (
        <p className="field-error" role="alert">
          {server.general}
        </p>
      )}
      <div className="filters" style={{ marginTop: '0.75rem' }}>
        <button type="submit" disabled={result.fetching}>
          {result.fetching ? 'Saving…' : 'Save budget'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { formatUsd } from '../lib/format.js';
import { graphql } from '../lib/graphql.js';
import { parseTopUp } from './budget-input.js';
import { fieldIssues } from './field-issues.js';
import { FormField } from './form-field.js';

export const TopUpBudgetMutation = graphql(`
  mutation TopUpBudgetMutation($tenantId: ID!, $amountUsd: Float!) {
    topUpBudget(tenantId: $tenantId, amountUsd: $amountUsd) {
      tenantId
      prepaidBalanceUsd
    }
  }
`);

/** Adds to a tenant's prepaid balance; says what the balance became. */
export function BudgetTopUp({ tenantId, tenantName }: { tenantId: string; tenantName: string }) {
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [balance, setBalance] = useState<number | null | undefined>();
  const [result, topUp] = useMutation(TopUpBudgetMutation);
  const server = fieldIssues(result.error, ['amountUsd'] as const);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBalance(undefined);
    const parsed = parseTopUp(amount);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setError(undefined);
    const answer = await topUp({ tenantId, amountUsd: parsed.amountUsd });
    if (answer.data) {
      setAmount('');
      setBalance(answer.data.topUpBudget.prepaidBalanceUsd);
    }
  };

  return (
    <form onSubmit={submit} aria-label={`Top up ${tenantName}`} noValidate className="filters">
      <FormField label="Top-up amount (USD)" error={error ?? server.fields.amountUsd ?? server.general}>
        {(control) => (
          <input
            {...control}
            type="text"
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        )}
      </FormField>
      <button type="submit" disabled={result.fetching}>
        {result.fetching ? 'Adding…' : 'Top up'}
      </button>
      {balance !== undefined && (
        <p className="success-note" role="status">
          Topped up: the balance is now {formatUsd(balance)}.
        </p>
      )}
    </form>
  );
}

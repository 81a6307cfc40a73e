import { useId, useState } from 'react';
import { formatPercent, formatUsd } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { bandLabel, isProjectedOverLimit, type BandTick } from '../pages/budgets-data.js';
import { BudgetForm } from './budget-form.js';
import { BudgetTopUp } from './budget-top-up.js';
import { UsageBar } from './usage-bar.js';

export const BudgetCard_BudgetFragment = graphql(`
  fragment BudgetCard_BudgetFragment on Budget {
    tenantId
    band
    monthlyLimitUsd
    dailyLimitUsd
    dailySpentUsd
    prepaidBalanceUsd
    projectedMonthEndUsd
    reservedUsd
    retriesUsedToday
    retryBudgetPerDay
    spentUsd
    usedFraction
  }
`);

export interface BudgetCardProps {
  tenant: { id: string; name: string };
  /** Null when the tenant has no budget (unlimited). */
  budget: FragmentOf<typeof BudgetCard_BudgetFragment> | null;
  ticks: BandTick[];
  /** Admins may set budgets and top up; viewers only read. */
  canEdit: boolean;
}

/** One tenant's budget: usage against the limit and bands, the day, the balance, and where the month is heading. */
export function BudgetCard({ tenant, budget: masked, ticks, canEdit }: BudgetCardProps) {
  const b = readFragment(BudgetCard_BudgetFragment, masked);
  const headingId = useId();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const over = b ? isProjectedOverLimit(b.projectedMonthEndUsd, b.monthlyLimitUsd) : false;

  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="page-header" style={{ marginBottom: '0.5rem' }}>
        <h2 id={headingId}>{tenant.name}</h2>
        <code>{tenant.id}</code>
        {b && <span className={`badge ${b.band}`}>band: {bandLabel(b.band)}</span>}
      </div>
      {b ? (
        <>
          <UsageBar
            label={`${tenant.name} monthly budget used`}
            spentUsd={b.spentUsd}
            reservedUsd={b.reservedUsd}
            limitUsd={b.monthlyLimitUsd}
            ticks={ticks}
          />
          <table aria-label={`${tenant.name} budget details`}>
            <tbody>
              <tr>
                <th scope="row">Spent this month</th>
                <td>
                  {formatUsd(b.spentUsd)} of {formatUsd(b.monthlyLimitUsd)}
                  {b.usedFraction !== null && ` (${formatPercent(b.usedFraction)} used with reserved)`}
                </td>
              </tr>
              <tr>
                <th scope="row">Reserved (in flight)</th>
                <td>{formatUsd(b.reservedUsd)}</td>
              </tr>
              <tr>
                <th scope="row">Spent today</th>
                <td>
                  {formatUsd(b.dailySpentUsd)}
                  {b.dailyLimitUsd === null ? ' (no daily limit)' : ` of ${formatUsd(b.dailyLimitUsd)}`}
                </td>
              </tr>
              <tr>
                <th scope="row">Prepaid balance</th>
                <td>{b.prepaidBalanceUsd === null ? 'post-paid' : formatUsd(b.prepaidBalanceUsd)}</td>
              </tr>
              <tr>
                <th scope="row">Projected month-end</th>
                <td>
                  {formatUsd(b.projectedMonthEndUsd)}{' '}
                  {over && (
                    <span className="badge warn">
                      Over limit by {formatUsd(b.projectedMonthEndUsd - b.monthlyLimitUsd)}
                    </span>
                  )}
                </td>
              </tr>
              <tr>
                <th scope="row">Retries today</th>
                <td>
                  {b.retriesUsedToday}
                  {b.retryBudgetPerDay === null ? ' (no retry budget)' : ` of ${b.retryBudgetPerDay}`}
                </td>
              </tr>
            </tbody>
          </table>
        </>
      ) : (
        <p className="notice">No budget (unlimited)</p>
      )}
      {saved && !editing && (
        <p className="success-note" role="status">
          Budget saved.
        </p>
      )}
      {canEdit &&
        (editing ? (
          <BudgetForm
            tenantId={tenant.id}
            tenantName={tenant.name}
            current={b}
            onSaved={() => {
              setEditing(false);
              setSaved(true);
            }}
            onCancel={() => setEditing(false)}
          />
        ) : (
          <div className="filters" style={{ marginTop: '0.75rem' }}>
            <button
              type="button"
              className={b ? 'secondary' : undefined}
              onClick={() => {
                setSaved(false);
                setEditing(true);
              }}
            >
              {b ? 'Edit budget' : 'Set budget'}
            </button>
          </div>
        ))}
      {canEdit && b && b.prepaidBalanceUsd !== null && <BudgetTopUp tenantId={tenant.id} tenantName={tenant.name} />}
    </section>
  );
}

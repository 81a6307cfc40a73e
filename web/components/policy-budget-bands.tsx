import { patchBudgetBands, type Draft } from '../pages/policy-draft.js';
import { FieldIssues, NumberField, type FieldContext } from './policy-fields.js';

export interface PolicyBudgetBandsProps extends FieldContext {
  draft: Draft;
  onChange(next: Draft): void;
}

const BANDS = [
  { key: 'downgrade', label: 'Downgrade at (%)', hint: 'non-critical traffic moves to cheaper routes', fallback: 70 },
  { key: 'conserve', label: 'Conserve at (%)', hint: 'all but critical traffic moves to cheaper routes', fallback: 80 },
  { key: 'criticalOnly', label: 'Critical only at (%)', hint: 'batch and experiments are blocked', fallback: 95 },
] as const;

/** The monthly-budget thresholds at which the engine sheds quality, edited in percent of the limit. */
export function PolicyBudgetBands({ draft, onChange, issues, readOnly }: PolicyBudgetBandsProps) {
  return (
    <section className="panel" aria-labelledby="policy-bands-heading">
      <h2 id="policy-bands-heading">Budget bands</h2>
      <p className="notice">
        Share of the monthly limit spent (or reserved) at which each band starts. Keep them in order.
      </p>
      <div className="grid-3">
        {BANDS.map((b) => (
          <div key={b.key}>
            <NumberField
              field={`budgetBands.${b.key}`}
              label={b.label}
              percent
              placeholder={String(b.fallback)}
              value={draft.budgetBands?.[b.key]}
              onChange={(v) => onChange(patchBudgetBands(draft, { [b.key]: v }))}
              issues={issues}
              readOnly={readOnly}
            />
            <p className="notice" style={{ margin: 0 }}>
              {b.hint}
            </p>
          </div>
        ))}
      </div>
      <FieldIssues field="budgetBands" issues={issues} />
    </section>
  );
}

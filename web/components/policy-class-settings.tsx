import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import {
  fieldId,
  fieldLabel,
  patchClass,
  patchHardStop,
  type Draft,
  type DraftHardStop,
} from '../pages/policy-draft.js';
import { CheckboxField, FieldIssues, NumberField, invalidProps, type FieldContext } from './policy-fields.js';

export interface PolicyClassSettingsProps extends FieldContext {
  draft: Draft;
  onChange(next: Draft): void;
}

const BUDGET_STOPS = ['monthly', 'daily', 'retry'] as const;

/** Per class: when it stops trying (hard stop), whether it is sensitive, and its overall deadline. */
export function PolicyClassSettings({ draft, onChange, issues, readOnly }: PolicyClassSettingsProps) {
  const ctx = { issues, readOnly };
  return (
    <section className="panel" aria-labelledby="policy-classes-heading">
      <h2 id="policy-classes-heading">Hard stops and class settings</h2>
      <p className="notice">
        A hard stop ends a request with an error instead of trying further tiers. Sensitive classes never fall back to a
        lower quality class. Empty fields use the schema default.
      </p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col">Max provider failures</th>
              <th scope="col">Stop on budget</th>
              <th scope="col">Immediate</th>
              <th scope="col">Sensitive</th>
              <th scope="col">Deadline (ms)</th>
            </tr>
          </thead>
          <tbody>
            {TRAFFIC_CLASSES.map((cls) => {
              const c = draft.classes[cls];
              const hardStop = c.hardStop ?? {};
              const base = `classes.${cls}`;
              const budgetField = `${base}.hardStop.budget`;
              return (
                <tr key={cls}>
                  <th scope="row">
                    <code>{cls}</code>
                  </th>
                  <td>
                    <NumberField
                      {...ctx}
                      field={`${base}.hardStop.maxProviderFailures`}
                      label="Failures"
                      placeholder="no limit"
                      value={hardStop.maxProviderFailures}
                      onChange={(v) => onChange(patchHardStop(draft, cls, { maxProviderFailures: v }))}
                    />
                  </td>
                  <td>
                    <label htmlFor={fieldId(budgetField)}>Budget</label>
                    <select
                      id={fieldId(budgetField)}
                      aria-label={fieldLabel(budgetField)}
                      value={hardStop.budget ?? ''}
                      disabled={readOnly}
                      onChange={(e) =>
                        onChange(
                          patchHardStop(draft, cls, {
                            budget: (e.target.value || undefined) as DraftHardStop['budget'],
                          }),
                        )
                      }
                      {...invalidProps(budgetField, issues)}
                    >
                      <option value="">none (monthly cap only)</option>
                      {BUDGET_STOPS.map((b) => (
                        <option key={b} value={b}>
                          {b}
                        </option>
                      ))}
                    </select>
                    <FieldIssues field={budgetField} issues={issues} />
                  </td>
                  <td>
                    <CheckboxField
                      {...ctx}
                      field={`${base}.hardStop.immediate`}
                      label="No fallback"
                      checked={hardStop.immediate ?? false}
                      onChange={(on) => onChange(patchHardStop(draft, cls, { immediate: on || undefined }))}
                    />
                  </td>
                  <td>
                    <CheckboxField
                      {...ctx}
                      field={`${base}.sensitive`}
                      label="Sensitive"
                      checked={c.sensitive ?? false}
                      onChange={(on) => onChange(patchClass(draft, cls, { sensitive: on }))}
                    />
                  </td>
                  <td>
                    <NumberField
                      {...ctx}
                      field={`${base}.deadlineMs`}
                      label="Deadline"
                      placeholder="60000"
                      value={c.deadlineMs}
                      onChange={(v) => onChange(patchClass(draft, cls, { deadlineMs: v }))}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

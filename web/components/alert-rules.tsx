import { useMemo, useState } from 'react';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { AlertRuleForm, AlertRuleForm_AlertRuleFragment } from './alert-rule-form.js';
import { AlertRuleRow, AlertRuleRow_AlertRuleFragment } from './alert-rule-row.js';
import { Empty } from './states.js';

export const AlertRules_AlertRuleFragment = graphql(
  `
    fragment AlertRules_AlertRuleFragment on AlertRule {
      id
      ...AlertRuleRow_AlertRuleFragment
      ...AlertRuleForm_AlertRuleFragment
    }
  `,
  [AlertRuleRow_AlertRuleFragment, AlertRuleForm_AlertRuleFragment],
);

export interface AlertRulesProps {
  rules: readonly FragmentOf<typeof AlertRules_AlertRuleFragment>[];
  tenants: readonly { id: string; name: string }[];
  canEdit: boolean;
}

/** The rules editor: every rule with its condition in units, a form for a new or edited rule; read-only for viewers. */
export function AlertRules({ rules: masked, tenants, canEdit }: AlertRulesProps) {
  const rules = readFragment(AlertRules_AlertRuleFragment, masked);
  // 'new', a rule id being edited, or null when the form is closed.
  const [editing, setEditing] = useState<string | null>(null);
  const [note, setNote] = useState<string | undefined>();
  const tenantNames = useMemo(() => new Map(tenants.map((t) => [t.id, t.name])), [tenants]);
  const edited = editing && editing !== 'new' ? rules.find((r) => r.id === editing) : undefined;
  const open = (what: string) => {
    setNote(undefined);
    setEditing(what);
  };

  return (
    <section className="panel" aria-labelledby="alert-rules-heading">
      <div className="page-header">
        <h2 id="alert-rules-heading">Alert rules</h2>
        {canEdit && editing === null && (
          <div className="actions">
            <button type="button" onClick={() => open('new')}>
              New rule
            </button>
          </div>
        )}
      </div>
      <p className="notice">Rates are fractions shown as percentages; latency is in milliseconds.</p>
      {note && (
        <p className="success-note" role="status">
          {note}
        </p>
      )}
      {canEdit && (editing === 'new' || edited) && (
        <AlertRuleForm
          key={editing}
          rule={edited}
          tenants={tenants}
          onSaved={(message) => {
            setEditing(null);
            setNote(message);
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {rules.length === 0 ? (
        <Empty>No alert rules yet{canEdit ? ': add one with “New rule”.' : '.'}</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Metric</th>
                <th scope="col">Condition</th>
                <th scope="col">Window</th>
                <th scope="col">Min sample</th>
                <th scope="col">Cooldown</th>
                <th scope="col">Severity</th>
                <th scope="col">Scope</th>
                <th scope="col">Enabled</th>
                {canEdit && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <AlertRuleRow
                  key={r.id}
                  rule={r}
                  tenantNames={tenantNames}
                  canEdit={canEdit}
                  onEdit={() => open(r.id)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

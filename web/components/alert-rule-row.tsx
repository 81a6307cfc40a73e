import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatCondition, formatDuration, METRIC_LABELS, scopeSummary } from '../pages/alerts-data.js';
import { fieldIssues } from './field-issues.js';

export const AlertRuleRow_AlertRuleFragment = graphql(`
  fragment AlertRuleRow_AlertRuleFragment on AlertRule {
    id
    name
    metric
    comparator
    threshold
    windowMs
    minSample
    cooldownMs
    severity
    enabled
    tenantId
    scope {
      routeId
      model
      trafficClass
      tenantId
      tier
    }
  }
`);

const EnableAlertRuleMutation = graphql(`
  mutation EnableAlertRuleMutation($id: ID!, $enabled: Boolean!) {
    updateAlertRule(id: $id, input: { enabled: $enabled }) {
      id
      enabled
    }
  }
`);

const DeleteAlertRuleMutation = graphql(`
  mutation DeleteAlertRuleMutation($id: ID!) {
    deleteAlertRule(id: $id)
  }
`);

// deleteAlertRule answers a Boolean, which names no type: say which cached results it makes stale.
const DELETE_CONTEXT = { additionalTypenames: ['AlertRule', 'AlertEvent'] };

export interface AlertRuleRowProps {
  rule: FragmentOf<typeof AlertRuleRow_AlertRuleFragment>;
  tenantNames: ReadonlyMap<string, string>;
  /** Admins get the toggle, Edit and Delete; viewers read. */
  canEdit: boolean;
  onEdit(): void;
}

/** One rule in the rules table: its condition in units, where it applies, and its controls. */
export function AlertRuleRow({ rule: masked, tenantNames, canEdit, onEdit }: AlertRuleRowProps) {
  const rule = readFragment(AlertRuleRow_AlertRuleFragment, masked);
  const [confirming, setConfirming] = useState(false);
  const [toggled, enable] = useMutation(EnableAlertRuleMutation);
  const [deleted, remove] = useMutation(DeleteAlertRuleMutation);
  const error = fieldIssues(toggled.error ?? deleted.error, []).general;
  // Until the refetched rules arrive, show what the toggle asked for.
  const enabled = toggled.data?.updateAlertRule.id === rule.id ? toggled.data.updateAlertRule.enabled : rule.enabled;

  return (
    <tr>
      <th scope="row">{rule.name}</th>
      <td>{METRIC_LABELS[rule.metric]}</td>
      <td>{formatCondition(rule.comparator, rule.metric, rule.threshold)}</td>
      <td>{formatDuration(rule.windowMs)}</td>
      <td>{rule.minSample}</td>
      <td>{formatDuration(rule.cooldownMs)}</td>
      <td>
        <span className={`badge ${rule.severity}`}>{rule.severity}</span>
      </td>
      <td>{scopeSummary(rule, tenantNames)}</td>
      <td>
        {canEdit ? (
          <input
            type="checkbox"
            aria-label={`Enabled: ${rule.name}`}
            checked={enabled}
            disabled={toggled.fetching}
            onChange={(e) => void enable({ id: rule.id, enabled: e.target.checked })}
          />
        ) : enabled ? (
          'on'
        ) : (
          'off'
        )}
      </td>
      {canEdit && (
        <td>
          {confirming ? (
            <div className="filters" style={{ marginBottom: 0 }}>
              <span>Delete “{rule.name}”?</span>
              <button
                type="button"
                className="danger"
                disabled={deleted.fetching}
                onClick={async () => {
                  const answer = await remove({ id: rule.id }, DELETE_CONTEXT);
                  if (!answer.error) setConfirming(false);
                }}
              >
                Confirm delete
              </button>
              <button type="button" className="secondary" autoFocus onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <div className="filters" style={{ marginBottom: 0 }}>
              <button type="button" className="secondary" aria-label={`Edit rule ${rule.name}`} onClick={onEdit}>
                Edit
              </button>
              <button
                type="button"
                className="danger"
                aria-label={`Delete rule ${rule.name}`}
                onClick={() => setConfirming(true)}
              >
                Delete
              </button>
            </div>
          )}
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
        </td>
      )}
    </tr>
  );
}

import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ALERT_METRICS, SEVERITIES } from '../../shared/contracts/alert.js';
import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatMetricValue, METRIC_LABELS, metricUnit, WINDOWS } from '../pages/alerts-data.js';
import {
  emptyRuleDraft,
  parseRuleDraft,
  ruleDraftOf,
  type RuleDraft,
  type RuleErrors,
  type RuleField,
} from './alert-rule-input.js';
import { fieldIssues } from './field-issues.js';
import { FormField } from './form-field.js';

export const AlertRuleForm_AlertRuleFragment = graphql(`
  fragment AlertRuleForm_AlertRuleFragment on AlertRule {
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

const CreateAlertRuleMutation = graphql(`
  mutation CreateAlertRuleMutation($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      id
      name
    }
  }
`);

const UpdateAlertRuleMutation = graphql(`
  mutation UpdateAlertRuleMutation($id: ID!, $input: UpdateAlertRuleInput!) {
    updateAlertRule(id: $id, input: $input) {
      id
      name
    }
  }
`);

// The server names fields by path (input.scope.routeId); these are the last segments the form shows.
const SERVER_FIELDS = [
  'name',
  'metric',
  'comparator',
  'threshold',
  'windowMs',
  'minSample',
  'cooldownMs',
  'severity',
  'tenantId',
  'routeId',
  'model',
  'trafficClass',
  'tier',
] as const;

function thresholdLabel(draft: RuleDraft): { label: string; hint: string } {
  const unit = metricUnit(draft.metric);
  const n = Number(draft.threshold);
  const typed = draft.threshold.trim() !== '' && Number.isFinite(n);
  if (unit === 'fraction')
    return {
      label: 'Threshold (fraction, 0 to 1)',
      hint: typed ? `= ${formatMetricValue(draft.metric, n)}` : 'e.g. 0.02 for 2%',
    };
  if (unit === 'ms') return { label: 'Threshold (ms)', hint: 'p95 latency in milliseconds' };
  return draft.metric === 'breaker_open'
    ? { label: 'Threshold (1 = open)', hint: 'The reading is 1 while a breaker is open, else 0' }
    : { label: 'Threshold (failures in a row)', hint: 'Consecutive failed probes' };
}

export interface AlertRuleFormProps {
  /** The rule to edit; a new rule when absent. */
  rule?: FragmentOf<typeof AlertRuleForm_AlertRuleFragment>;
  tenants: readonly { id: string; name: string }[];
  onSaved(message: string): void;
  onCancel(): void;
}

/** Creates or edits an alert rule; checks the input before sending and shows the server's issues by field. */
export function AlertRuleForm({ rule: masked, tenants, onSaved, onCancel }: AlertRuleFormProps) {
  const rule = readFragment(AlertRuleForm_AlertRuleFragment, masked);
  const headingId = useId();
  const [draft, setDraft] = useState<RuleDraft>(() => (rule ? ruleDraftOf(rule) : emptyRuleDraft()));
  const [errors, setErrors] = useState<RuleErrors>({});
  const [created, create] = useMutation(CreateAlertRuleMutation);
  const [updated, update] = useMutation(UpdateAlertRuleMutation);
  const result = rule ? updated : created;
  const server = fieldIssues(result.error, SERVER_FIELDS);
  const set = <K extends RuleField>(key: K, value: RuleDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const errorOf = (field: RuleField) => errors[field] ?? (server.fields as Partial<Record<string, string>>)[field];
  const threshold = thresholdLabel(draft);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseRuleDraft(draft);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    const answer = rule ? await update({ id: rule.id, input: parsed.input }) : await create({ input: parsed.input });
    if (!answer.error) onSaved(`Rule “${parsed.input.name}” ${rule ? 'saved' : 'created'}.`);
  };

  const text = (
    field: 'name' | 'routeId' | 'model' | 'minSample' | 'cooldownMs' | 'tier',
    label: string,
    hint?: string,
  ) => (
    <FormField label={label} hint={hint} error={errorOf(field)}>
      {(control) => (
        <input
          {...control}
          type="text"
          inputMode={field === 'name' || field === 'routeId' || field === 'model' ? undefined : 'numeric'}
          value={draft[field]}
          onChange={(e) => set(field, e.target.value)}
        />
      )}
    </FormField>
  );

  return (
    <form className="panel" onSubmit={submit} aria-labelledby={headingId} noValidate>
      <h3 id={headingId}>{rule ? `Edit rule “${rule.name}”` : 'New rule'}</h3>
      <div className="grid-3">
        {text('name', 'Name')}
        <FormField label="Metric" error={errorOf('metric')}>
          {(control) => (
            <select
              {...control}
              value={draft.metric}
              onChange={(e) => set('metric', e.target.value as RuleDraft['metric'])}
            >
              {ALERT_METRICS.map((m) => (
                <option key={m} value={m}>
                  {METRIC_LABELS[m]}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField label="Fires when the value is" error={errorOf('comparator')}>
          {(control) => (
            <select
              {...control}
              value={draft.comparator}
              onChange={(e) => set('comparator', e.target.value as 'gt' | 'lt')}
            >
              <option value="gt">above the threshold (&gt;)</option>
              <option value="lt">below the threshold (&lt;)</option>
            </select>
          )}
        </FormField>
        <FormField label={threshold.label} hint={threshold.hint} error={errorOf('threshold')}>
          {(control) => (
            <input
              {...control}
              type="text"
              inputMode="decimal"
              value={draft.threshold}
              onChange={(e) => set('threshold', e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Window" error={errorOf('windowMs')}>
          {(control) => (
            <select {...control} value={draft.windowMs} onChange={(e) => set('windowMs', e.target.value)}>
              {WINDOWS.map((w) => (
                <option key={w.ms} value={String(w.ms)}>
                  {w.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        {text('minSample', 'Minimum sample', 'Samples the window needs before the rule may fire')}
        {text('cooldownMs', 'Cooldown (ms)', 'Quiet time after a resolve')}
        <FormField label="Severity" error={errorOf('severity')}>
          {(control) => (
            <select
              {...control}
              value={draft.severity}
              onChange={(e) => set('severity', e.target.value as RuleDraft['severity'])}
            >
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <div>
          <label>
            <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
          </label>
        </div>
      </div>
      <fieldset style={{ border: '1px solid var(--line)', borderRadius: 6, margin: '0.75rem 0' }}>
        <legend>Scope (blank for any)</legend>
        <div className="grid-3">
          <FormField
            label="Tenant"
            hint={rule ? 'A rule’s tenant is kept on edit; delete and re-create to move it.' : undefined}
            error={errorOf('tenantId')}
          >
            {(control) => (
              <select
                {...control}
                value={draft.tenantId}
                disabled={!!rule}
                onChange={(e) => set('tenantId', e.target.value)}
              >
                <option value="">All tenants (global rule)</option>
                {tenants.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          {text('routeId', 'Route id')}
          {text('model', 'Model')}
          <FormField label="Traffic class" error={errorOf('trafficClass')}>
            {(control) => (
              <select
                {...control}
                value={draft.trafficClass}
                onChange={(e) => set('trafficClass', e.target.value as RuleDraft['trafficClass'])}
              >
                <option value="">Any class</option>
                {TRAFFIC_CLASSES.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          {text('tier', 'Tier', '0 is the primary tier')}
        </div>
      </fieldset>
      {(errors.form ?? server.general) && (
        <p className="field-error" role="alert">
          {errors.form ?? server.general}
        </p>
      )}
      <div className="filters">
        <button type="submit" disabled={result.fetching}>
          {result.fetching ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

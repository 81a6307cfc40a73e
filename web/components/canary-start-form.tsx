import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql, type VariablesOf } from '../lib/graphql.js';
import { FormField } from './form-field.js';

export const StartCanaryMutation = graphql(`
  mutation StartCanaryMutation($input: StartCanaryInput!) {
    startCanary(input: $input) {
      id
      candidateVersion
      status
    }
  }
`);

type StartInput = VariablesOf<typeof StartCanaryMutation>['input'];
const CLASSES = ['critical', 'non_critical', 'internal', 'batch', 'experiment'] as const;

/** The form as typed: strings, so a half-typed number stays as it is. Rates in percent. */
export interface CanaryForm {
  percent: string;
  stickyBy: 'user' | 'conversation';
  trafficClass: '' | (typeof CLASSES)[number];
  maxErrorRate: string;
  maxFallbackRate: string;
  maxP95Ms: string;
  minRequests: string;
}

export const EMPTY_CANARY_FORM: CanaryForm = {
  percent: '10',
  stickyBy: 'user',
  trafficClass: '',
  maxErrorRate: '5',
  maxFallbackRate: '',
  maxP95Ms: '',
  minRequests: '50',
};

type FormErrors = Partial<Record<keyof CanaryForm, string>>;

/** The mutation input for a form, or the errors per field; blank thresholds do not apply. */
export function canaryInput(
  form: CanaryForm,
  scope: string,
  document: unknown,
): { input: StartInput } | { errors: FormErrors } {
  const errors: FormErrors = {};
  const num = (field: keyof CanaryForm, min: number, max: number, integer = false) => {
    const raw = form[field].trim();
    if (raw === '') return null;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
      errors[field] = integer ? `A whole number from ${min} to ${max}` : `A number from ${min} to ${max}`;
    return n;
  };
  const percent = num('percent', 0.01, 100);
  if (percent === null) errors.percent = 'Say what share of traffic gets the draft';
  const maxErrorRate = num('maxErrorRate', 0, 100);
  const maxFallbackRate = num('maxFallbackRate', 0, 100);
  const maxP95Ms = num('maxP95Ms', 1, 600_000, true);
  const minRequests = num('minRequests', 1, 1_000_000, true);
  if (Object.keys(errors).length > 0) return { errors };
  return {
    input: {
      scope,
      document,
      percent: percent!,
      stickyBy: form.stickyBy,
      trafficClass: form.trafficClass || null,
      maxErrorRate: maxErrorRate === null ? null : maxErrorRate / 100,
      maxFallbackRate: maxFallbackRate === null ? null : maxFallbackRate / 100,
      maxP95Ms,
      ...(minRequests !== null && { minRequests }),
    },
  };
}

export interface CanaryStartFormProps {
  scope: string;
  draft: unknown;
  /** Why the draft cannot be a candidate now (it has problems); null when it can. */
  blocked: string | null;
  onStarted(): void;
}

/** Starts a canary from the current draft: its share of traffic, what keeps users on their arm, and thresholds. */
export function CanaryStartForm({ scope, draft, blocked, onStarted }: CanaryStartFormProps) {
  const [form, setForm] = useState<CanaryForm>(EMPTY_CANARY_FORM);
  const [errors, setErrors] = useState<FormErrors>({});
  const [state, start] = useMutation(StartCanaryMutation);
  const set = (field: keyof CanaryForm) => (e: { target: { value: string } }) =>
    setForm({ ...form, [field]: e.target.value });

  const submit = async () => {
    const built = canaryInput(form, scope, draft);
    if ('errors' in built) return setErrors(built.errors);
    setErrors({});
    const result = await start({ input: built.input });
    if (result.data) onStarted();
  };

  const text = (field: keyof CanaryForm, label: string, hint?: string) => (
    <FormField label={label} {...(hint && { hint })} {...(errors[field] && { error: errors[field] })}>
      {(control) => (
        <input {...control} inputMode="decimal" value={form[field]} onChange={set(field)} style={{ width: '8rem' }} />
      )}
    </FormField>
  );

  return (
    <form
      className="filters"
      aria-label="Start a canary"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {text('percent', 'Traffic (%)', 'Share of users on the draft')}
      <FormField label="Sticky by">
        {(control) => (
          <select {...control} value={form.stickyBy} onChange={set('stickyBy')}>
            <option value="user">user</option>
            <option value="conversation">conversation</option>
          </select>
        )}
      </FormField>
      <FormField label="Traffic class">
        {(control) => (
          <select {...control} value={form.trafficClass} onChange={set('trafficClass')}>
            <option value="">every class</option>
            {CLASSES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        )}
      </FormField>
      {text('maxErrorRate', 'Max error rate (%)', 'Blank for none')}
      {text('maxFallbackRate', 'Max fallback rate (%)', 'Blank for none')}
      {text('maxP95Ms', 'Max p95 (ms)', 'Blank for none')}
      {text('minRequests', 'Min requests', 'Before a threshold applies')}
      <button type="submit" disabled={blocked !== null || state.fetching}>
        {state.fetching ? 'Starting…' : 'Start canary'}
      </button>
      {blocked && <p className="notice">{blocked}</p>}
      {state.error && !state.fetching && (
        <p className="field-error" role="alert">
          Not started: {state.error.graphQLErrors[0]?.message ?? state.error.message}
        </p>
      )}
    </form>
  );
}

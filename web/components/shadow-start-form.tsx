import { useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import { DEFAULT_SHADOW_TIMEOUT_MS, StartShadowInputSchema } from '../../shared/contracts/shadow.js';
import { graphql } from '../lib/graphql.js';
import { FormField } from './form-field.js';

export const StartShadowRouteMutation = graphql(`
  mutation StartShadowRouteMutation($input: StartShadowRouteInput!) {
    startShadowRoute(input: $input) {
      id
    }
  }
`);

type Field = 'routeId' | 'sampleRate' | 'budgetUsd' | 'timeoutMs' | 'trafficClass';
type Issues = Partial<Record<Field, string>>;

/** Field issues from the server's BAD_USER_INPUT (`input.<field>` paths), or one message for the whole form. */
function serverIssues(error: CombinedError): { fields: Issues; form?: string } {
  const first = error.graphQLErrors[0];
  if (!first)
    return { fields: {}, form: `The gateway did not answer: ${error.networkError?.message ?? error.message}` };
  const issues = first.extensions?.issues;
  if (!Array.isArray(issues)) return { fields: {}, form: first.message };
  const fields: Issues = {};
  for (const i of issues as { path: string; message: string }[])
    fields[i.path.replace(/^input\./, '') as Field] = i.message;
  return { fields };
}

export interface ShadowStartFormProps {
  /** The policy page's scope: `global` mirrors every tenant, else that tenant only. */
  scope: string;
  routes: readonly { id: string; provider: string; model: string }[];
  onStarted(): void;
}

/** Starts a shadow route for the scope: candidate route, class, sample share, shadow budget and per-call timeout. */
export function ShadowStartForm({ scope, routes, onStarted }: ShadowStartFormProps) {
  const [routeId, setRouteId] = useState('');
  const [trafficClass, setTrafficClass] = useState('');
  const [percent, setPercent] = useState('10');
  const [budget, setBudget] = useState('1');
  const [timeout, setTimeoutMs] = useState(String(DEFAULT_SHADOW_TIMEOUT_MS));
  const [issues, setIssues] = useState<Issues>({});
  const [formError, setFormError] = useState<string>();
  const [state, start] = useMutation(StartShadowRouteMutation);
  const chosenRoute = routeId || routes[0]?.id || '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(undefined);
    const candidate = {
      ...(scope !== 'global' && { tenantId: scope }),
      ...(trafficClass && { trafficClass }),
      routeId: chosenRoute,
      sampleRate: percent.trim() === '' ? NaN : Number(percent) / 100,
      budgetUsd: budget.trim() === '' ? NaN : Number(budget),
      timeoutMs: timeout.trim() === '' ? NaN : Number(timeout),
    };
    const parsed = StartShadowInputSchema.safeParse(candidate);
    if (!parsed.success) {
      const found: Issues = {};
      for (const i of parsed.error.issues) found[String(i.path[0]) as Field] ??= i.message;
      return setIssues(found);
    }
    setIssues({});
    const result = await start({ input: parsed.data });
    if (result.error) {
      const { fields, form } = serverIssues(result.error);
      setIssues(fields);
      return setFormError(form);
    }
    onStarted();
  };

  return (
    <form className="filters" aria-label="Start a shadow route" onSubmit={(e) => void submit(e)} noValidate>
      <FormField label="Shadow route" error={issues.routeId}>
        {(control) => (
          <select {...control} value={chosenRoute} onChange={(e) => setRouteId(e.target.value)}>
            {routes.map((r) => (
              <option key={r.id} value={r.id}>
                {r.id} ({r.provider}/{r.model})
              </option>
            ))}
          </select>
        )}
      </FormField>
      <FormField label="Traffic class" error={issues.trafficClass}>
        {(control) => (
          <select {...control} value={trafficClass} onChange={(e) => setTrafficClass(e.target.value)}>
            <option value="">every class</option>
            {TRAFFIC_CLASSES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <FormField label="Sample (%)" error={issues.sampleRate} hint="Share of requests mirrored">
        {(control) => (
          <input
            {...control}
            type="number"
            min={0}
            max={100}
            value={percent}
            onChange={(e) => setPercent(e.target.value)}
          />
        )}
      </FormField>
      <FormField label="Shadow budget (USD)" error={issues.budgetUsd} hint="Never charged to the tenant">
        {(control) => (
          <input
            {...control}
            type="number"
            min={0}
            step="any"
            value={budget}
            onChange={(e) => setBudget(e.target.value)}
          />
        )}
      </FormField>
      <FormField label="Timeout (ms)" error={issues.timeoutMs}>
        {(control) => (
          <input {...control} type="number" min={1} value={timeout} onChange={(e) => setTimeoutMs(e.target.value)} />
        )}
      </FormField>
      <div>
        <button type="submit" disabled={state.fetching || !chosenRoute}>
          {state.fetching ? 'Starting…' : 'Start shadow'}
        </button>
        {formError && (
          <p className="field-error" role="alert">
            {formError}
          </p>
        )}
      </div>
    </form>
  );
}

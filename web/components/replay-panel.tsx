import { useId, useState, type FormEvent } from 'react';
import { createRequest, useQuery } from 'urql';
import { graphql, type VariablesOf } from '../lib/graphql.js';
import { fieldLabel, issueField, type Draft } from '../pages/policy-draft.js';
import { FormField } from './form-field.js';
import { replayIssues } from './replay-issues.js';
import { ReplayReport, ReplayReport_ReplayFragment } from './replay-report.js';
import { REPLAY_WINDOWS, isReplayWindowId, replayWindow, type ReplayWindowChoice } from './replay-window.js';
import { Empty, ErrorState, Loading } from './states.js';

export const WhatIfReplayQuery = graphql(
  `
    query WhatIfReplayQuery($input: WhatIfReplayInput!) {
      whatIfReplay(input: $input) {
        requests
        tenantId
        ...ReplayReport_ReplayFragment
      }
    }
  `,
  [ReplayReport_ReplayFragment],
);

type ReplayInput = VariablesOf<typeof WhatIfReplayQuery>['input'];

/** Never sent: the query is paused until the first run. */
const NO_INPUT: ReplayInput = { from: '', to: '' };

export interface ReplayPanelProps {
  /** The draft being edited; replayed as it is when the admin runs the replay. */
  draft: Draft;
  /** The scope being edited: a tenant scope replays that tenant unless another is picked. */
  scope: string;
  tenants: readonly { id: string; name: string }[];
  /** Problems the editor shows; a draft with any is not sent. */
  problems: number;
}

/**
 * What-if replay of the draft: pick a window and a tenant, run, and see the recorded window, the published policy's
 * replay and the draft's side by side. Nothing runs until asked: a replay of days of traffic takes seconds.
 */
export function ReplayPanel({ draft, scope, tenants, problems }: ReplayPanelProps) {
  const id = useId();
  const [choice, setChoice] = useState<ReplayWindowChoice>({ preset: '24h', from: '', to: '' });
  const [tenantPick, setTenantPick] = useState<string | null>(null);
  const tenantId = tenantPick ?? (scope === 'global' ? '' : scope);
  const [windowIssues, setWindowIssues] = useState<Partial<Record<'from' | 'to', string>>>({});
  const [run, setRun] = useState<{ input: ReplayInput; draft: Draft } | null>(null);
  const [result, reexecute] = useQuery({
    query: WhatIfReplayQuery,
    variables: { input: run?.input ?? NO_INPUT },
    pause: run === null,
    requestPolicy: 'network-only',
  });
  const runKey = run ? createRequest(WhatIfReplayQuery, { input: run.input }).key : null;
  // urql keeps the last run's answer while the next loads: show only the answer to the run asked for.
  const current = runKey !== null && result.operation?.key === runKey ? result : undefined;
  const issues = replayIssues(current?.error);
  const blocked = problems > 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const picked = replayWindow(choice, Date.now());
    if (!picked.ok) return setWindowIssues(picked.issues);
    setWindowIssues({});
    const input: ReplayInput = { ...picked.window, tenantId: tenantId || null, draft };
    // The same input again (a custom window, run twice) is the same operation: ask the gateway again all the same.
    if (createRequest(WhatIfReplayQuery, { input }).key === runKey) reexecute({ requestPolicy: 'network-only' });
    setRun({ input, draft });
  };

  const report = current?.data?.whatIfReplay;
  let body = null;
  if (current?.fetching || (run && !current)) body = <Loading what="the replay" />;
  else if (current?.error && !issues)
    body = <ErrorState error={current.error} retry={() => reexecute({ requestPolicy: 'network-only' })} />;
  else if (issues)
    body = (
      <div className="state state-error" role="alert">
        <strong>The replay was refused (BAD_USER_INPUT).</strong>
        {issues.general && <span>{issues.general}</span>}
        {/* A preset hides the from/to fields, so their issues go here. */}
        {choice.preset !== 'custom' &&
          Object.entries(issues.window).map(([field, message]) => <span key={field}>{`${field}: ${message}`}</span>)}
        {issues.draft.length > 0 && (
          <ul>
            {issues.draft.map((i) => (
              <li key={`${i.path}:${i.message}`}>
                <strong>{fieldLabel(issueField(i.path))}</strong>: {i.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  else if (report && report.requests === 0)
    body = (
      <Empty>
        No decisions in this window{report.tenantId ? ` for tenant ${report.tenantId}` : ''}: pick a longer window or
        another tenant.
      </Empty>
    );
  else if (report) body = <ReplayReport report={report} />;

  const fromError = windowIssues.from ?? issues?.window.from;
  const toError = windowIssues.to ?? issues?.window.to;

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>What-if replay</h2>
      <p className="notice">
        Runs the decisions recorded in a window again, under the published policy and under this draft, without calling
        any provider. The draft stands in for the policy of every tenant replayed.
      </p>
      <form className="filters" aria-label="Replay window" onSubmit={submit} noValidate>
        <div>
          <label htmlFor={`${id}-window`}>Window</label>
          <select
            id={`${id}-window`}
            value={choice.preset}
            onChange={(e) => isReplayWindowId(e.target.value) && setChoice({ ...choice, preset: e.target.value })}
          >
            {REPLAY_WINDOWS.map((w) => (
              <option key={w.id} value={w.id}>
                {w.label}
              </option>
            ))}
          </select>
        </div>
        {choice.preset === 'custom' && (
          <>
            <FormField label="From" error={fromError}>
              {(control) => (
                <input
                  {...control}
                  type="datetime-local"
                  value={choice.from}
                  onChange={(e) => setChoice({ ...choice, from: e.target.value })}
                />
              )}
            </FormField>
            <FormField label="To" error={toError}>
              {(control) => (
                <input
                  {...control}
                  type="datetime-local"
                  value={choice.to}
                  onChange={(e) => setChoice({ ...choice, to: e.target.value })}
                />
              )}
            </FormField>
          </>
        )}
        <div>
          <label htmlFor={`${id}-tenant`}>Tenant</label>
          <select id={`${id}-tenant`} value={tenantId} onChange={(e) => setTenantPick(e.target.value)}>
            <option value="">All tenants</option>
            {tenantId && !tenants.some((t) => t.id === tenantId) && <option value={tenantId}>{tenantId}</option>}
            {tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit" disabled={blocked || current?.fetching === true}>
            Run replay
          </button>
        </div>
      </form>
      {blocked && <p className="notice">Fix the problems above to replay the draft.</p>}
      {run && run.draft !== draft && report && (
        <p className="notice">The draft has changed since this replay: run it again to see the effect.</p>
      )}
      {body}
    </section>
  );
}

import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { createRequest, useQuery } from 'urql';
import { PolicyBudgetBands } from '../components/policy-budget-bands.js';
import { PolicyClassSettings } from '../components/policy-class-settings.js';
import { PolicyDiff, PolicyDiff_DiffFragment } from '../components/policy-diff.js';
import { PolicyHistory, PolicyHistory_VersionFragment } from '../components/policy-history.js';
import { PolicyMatrix, PolicyMatrix_RouteFragment } from '../components/policy-matrix.js';
import { PolicyPublish } from '../components/policy-publish.js';
import { ShadowPanel } from '../components/shadow-panel.js';
import { ReplayPanel } from '../components/replay-panel.js';
import { CanaryPanel } from '../components/canary-panel.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useSession } from '../lib/auth.js';
import { graphql } from '../lib/graphql.js';
import {
  draftFromDocument,
  fieldLabel,
  groupIssues,
  issueField,
  mergeIssues,
  validateDraft,
  type Draft,
  type DraftIssue,
} from './policy-draft.js';

export const PoliciesQuery = graphql(
  `
    query PoliciesQuery($scope: String!) {
      tenants {
        id
        name
      }
      policy(scope: $scope) {
        id
        scope
        version
        document
      }
      policyVersions(scope: $scope) {
        ...PolicyHistory_VersionFragment
      }
      routes {
        ...PolicyMatrix_RouteFragment
      }
    }
  `,
  [PolicyHistory_VersionFragment, PolicyMatrix_RouteFragment],
);

/** The draft against the live version, and the server's checks zod cannot make (routes in the catalogue). */
export const PolicyDiffQuery = graphql(
  `
    query PolicyDiffQuery($scope: String!, $document: JSON!) {
      diffPolicy(scope: $scope, document: $document) {
        ...PolicyDiff_DiffFragment
      }
      validatePolicy(document: $document) {
        ok
        issues {
          path
          message
        }
      }
    }
  `,
  [PolicyDiff_DiffFragment],
);

export const GLOBAL_SCOPE = 'global';

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

function IssueSummary({ issues }: { issues: readonly DraftIssue[] }) {
  if (issues.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="policy-issues-heading">
      <h2 id="policy-issues-heading">Problems ({issues.length})</h2>
      <ul>
        {issues.map((i) => (
          <li key={`${i.path}:${i.message}`}>
            <strong>{fieldLabel(issueField(i.path))}</strong>: {i.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

export interface PoliciesPageProps {
  /** Wait after the last edit before asking the server for a diff, in milliseconds. Defaults to 400. */
  debounceMs?: number;
}

/** The policy matrix editor: edit a scope's draft, see what it changes, publish it, or roll back. */
export function PoliciesPage({ debounceMs = 400 }: PoliciesPageProps) {
  const { role } = useSession();
  const readOnly = role !== 'admin';
  const [params, setParams] = useSearchParams();
  const scope = params.get('scope') || GLOBAL_SCOPE;
  const [result, reload] = useQuery({ query: PoliciesQuery, variables: { scope } });
  // urql keeps the previous scope's data while the next loads; never edit one scope's document under another.
  const data = result.operation?.variables.scope === scope ? result.data : undefined;
  const policy = data?.policy ?? null;

  const base = useMemo(() => (policy ? draftFromDocument(policy.document) : null), [policy]);
  const baseKey = policy ? `${scope}|${policy.id}` : null;
  const [edit, setEdit] = useState<{ key: string; draft: Draft } | null>(null);
  const dirty = edit !== null && edit.key === baseKey;
  const draft = dirty ? edit.draft : base;
  const [rejected, setRejected] = useState<{ draft: Draft; issues: DraftIssue[] } | null>(null);

  const check = useMemo(() => (draft ? { scope, document: draft } : null), [scope, draft]);
  const checkKey = useMemo(() => (check ? createRequest(PolicyDiffQuery, check).key : null), [check]);
  const settled = useDebounced(check, debounceMs);
  const [checked] = useQuery({
    query: PolicyDiffQuery,
    variables: settled ?? { scope, document: {} },
    pause: settled === null,
  });
  const checkedNow = checked.data && checked.operation?.key === checkKey ? checked.data : undefined;

  const schemaIssues = useMemo(() => (draft ? validateDraft(draft) : []), [draft]);
  const issues = mergeIssues(schemaIssues, [
    ...(checkedNow?.validatePolicy.issues ?? []),
    ...(rejected && rejected.draft === draft ? rejected.issues : []),
  ]);
  const issueMap = groupIssues(issues);

  const onChange = (next: Draft) => baseKey && setEdit({ key: baseKey, draft: next });
  const refresh = () => reload({ requestPolicy: 'network-only' });
  const tenants = result.data?.tenants ?? [];

  let body;
  if (result.error && !data) body = <ErrorState error={result.error} retry={refresh} />;
  else if (!data) body = <Loading what="the policy" />;
  else if (!policy) body = <Empty>No policy is published for this scope yet.</Empty>;
  else if (!draft)
    body = <ErrorState error={new Error(`Version ${policy.version} does not have the shape this editor edits.`)} />;
  else {
    const ctx = { issues: issueMap, readOnly };
    body = (
      <>
        {policy.scope !== scope && (
          <p className="notice">
            <code>{scope}</code> has no policy of its own: the draft starts from global version {policy.version}, and
            publishing makes the first version for <code>{scope}</code>.
          </p>
        )}
        <IssueSummary issues={issues} />
        <PolicyMatrix {...ctx} draft={draft} routes={data.routes} onChange={onChange} />
        <PolicyClassSettings {...ctx} draft={draft} onChange={onChange} />
        <PolicyBudgetBands {...ctx} draft={draft} onChange={onChange} />
        <PolicyDiff
          diff={checked.data?.diffPolicy}
          fetching={checked.fetching}
          error={checked.error}
          pending={settled !== check}
        />
        <ReplayPanel draft={draft} scope={scope} tenants={tenants} problems={issues.length} />
        {!readOnly && (
          <PolicyPublish
            scope={scope}
            draft={draft}
            dirty={dirty}
            issues={issueMap}
            blocked={
              issues.length > 0
                ? `Fix the ${issues.length === 1 ? 'problem' : `${issues.length} problems`} above to publish.`
                : null
            }
            onPublished={() => {
              setRejected(null);
              refresh();
            }}
            onRejected={(found, sent) => setRejected({ draft: sent, issues: found })}
            onReset={() => setEdit(null)}
          />
        )}
        <CanaryPanel
          scope={scope}
          draft={draft}
          readOnly={readOnly}
          blocked={issues.length > 0 ? 'Fix the problems above to start a canary from the draft.' : null}
          onChanged={refresh}
        />
        <PolicyHistory scope={scope} versions={data.policyVersions} readOnly={readOnly} onRolledBack={refresh} />
        <ShadowPanel scope={scope} readOnly={readOnly} />
      </>
    );
  }

  return (
    <>
      <div className="page-header">
        <h1>Policies</h1>
        <div className="actions">
          <label htmlFor="policy-scope" style={{ margin: 0 }}>
            Scope
          </label>
          <select
            id="policy-scope"
            value={scope}
            onChange={(e) => setParams(e.target.value === GLOBAL_SCOPE ? {} : { scope: e.target.value })}
          >
            <option value={GLOBAL_SCOPE}>global (all tenants)</option>
            {tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
            {scope !== GLOBAL_SCOPE && !tenants.some((t) => t.id === scope) && <option value={scope}>{scope}</option>}
          </select>
        </div>
      </div>
      {readOnly && <p className="notice">Read-only: a viewer key can look at policies but not publish or roll back.</p>}
      {body}
    </>
  );
}

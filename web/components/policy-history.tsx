import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatDateTime } from '../lib/format.js';
import { Empty } from './states.js';

export const PolicyHistory_VersionFragment = graphql(`
  fragment PolicyHistory_VersionFragment on PolicyVersion {
    id
    version
    status
    publishedAt
    publishedBy
    note
  }
`);

export const RollbackPolicyMutation = graphql(`
  mutation RollbackPolicyMutation($scope: String!, $version: Int!) {
    rollbackPolicy(scope: $scope, version: $version) {
      id
      version
      status
    }
  }
`);

export interface PolicyHistoryProps {
  scope: string;
  versions: readonly FragmentOf<typeof PolicyHistory_VersionFragment>[];
  readOnly: boolean;
  onRolledBack(version: number): void;
}

const STATUS_BADGE = { published: 'ok', rolled_back: 'warn', canary: 'info' } as const;

/** A scope's versions, newest first; an admin can make an older published version live again. */
export function PolicyHistory({ scope, versions: refs, readOnly, onRolledBack }: PolicyHistoryProps) {
  const versions = readFragment(PolicyHistory_VersionFragment, refs);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [done, setDone] = useState<number | null>(null);
  const [failed, setFailed] = useState<number | null>(null);
  const [state, rollback] = useMutation(RollbackPolicyMutation);
  const live = Math.max(0, ...versions.filter((v) => v.status === 'published').map((v) => v.version));

  const confirm = async (version: number) => {
    setDone(null);
    const result = await rollback({ scope, version });
    setFailed(result.error ? version : null);
    if (result.data) {
      setConfirming(null);
      setDone(result.data.rollbackPolicy.version);
      onRolledBack(result.data.rollbackPolicy.version);
    }
  };

  return (
    <section className="panel" aria-labelledby="policy-history-heading">
      <h2 id="policy-history-heading">Version history</h2>
      {done !== null && (
        <p className="success-note" role="status">
          Version {done} is live again.
        </p>
      )}
      {versions.length === 0 ? (
        <Empty>
          No versions of its own yet: this scope uses the global policy until a version is published for it.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Published at</th>
                <th scope="col">Published by</th>
                <th scope="col">Note</th>
                {!readOnly && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.id}>
                  <th scope="row">
                    {v.version}
                    {v.version === live && ' (live)'}
                  </th>
                  <td>
                    <span className={`badge ${STATUS_BADGE[v.status]}`}>{v.status.replace('_', ' ')}</span>
                  </td>
                  <td>{formatDateTime(v.publishedAt)}</td>
                  <td>
                    <code>{v.publishedBy}</code>
                  </td>
                  <td>{v.note ?? '–'}</td>
                  {!readOnly && (
                    <td>
                      {v.status === 'published' && v.version < live && confirming !== v.version && (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => {
                            setConfirming(v.version);
                            setDone(null);
                          }}
                        >
                          Roll back to version {v.version}
                        </button>
                      )}
                      {confirming === v.version && (
                        <div role="group" aria-label={`Confirm rollback to version ${v.version}`}>
                          <p style={{ margin: '0 0 0.4rem' }}>
                            Make version {v.version} live again? Later versions are marked rolled back.
                          </p>
                          <button
                            type="button"
                            className="danger"
                            disabled={state.fetching}
                            onClick={() => void confirm(v.version)}
                          >
                            Confirm rollback
                          </button>{' '}
                          <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                            Cancel
                          </button>
                          {state.error && failed === v.version && (
                            <p className="field-error" role="alert">
                              Not rolled back: {state.error.graphQLErrors[0]?.message ?? state.error.message}
                            </p>
                          )}
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

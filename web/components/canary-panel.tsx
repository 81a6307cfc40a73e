import { useState } from 'react';
import { useQuery } from 'urql';
import { formatDateTime } from '../lib/format.js';
import { graphql } from '../lib/graphql.js';
import { CanaryStartForm } from './canary-start-form.js';
import { CanaryStatus, CanaryStatus_CanaryFragment } from './canary-status.js';
import { ErrorState, Loading } from './states.js';
import { useVisibleInterval } from './use-visible-interval.js';

export const CanaryPanelQuery = graphql(
  `
    query CanaryPanelQuery($scope: String!) {
      canaries(scope: $scope) {
        id
        status
        candidateVersion
        percent
        endedReason
        endedBy
        endedAt
        startedAt
        ...CanaryStatus_CanaryFragment
      }
    }
  `,
  [CanaryStatus_CanaryFragment],
);

const STATUS_BADGE = { running: 'pending', promoted: 'ok', rolled_back: 'bad' } as const;

export interface CanaryPanelProps {
  scope: string;
  /** The editor's draft: what a started canary serves. */
  draft: unknown;
  /** Why the draft cannot be a candidate now; null when it can. */
  blocked: string | null;
  readOnly: boolean;
  /** A canary started or ended (a promotion changes the live version). */
  onChanged(): void;
  /** How often the comparison is read again while the page is visible, in milliseconds. Defaults to 5 000. */
  refreshMs?: number;
}

/** Canary releases of a scope, under the policy editor: start one from the draft, watch it, promote or roll back. */
export function CanaryPanel({ scope, draft, blocked, readOnly, onChanged, refreshMs = 5_000 }: CanaryPanelProps) {
  const [result, reload] = useQuery({ query: CanaryPanelQuery, variables: { scope } });
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => reload({ requestPolicy: 'network-only' });
  useVisibleInterval(refresh, refreshMs);
  const canaries = result.operation?.variables.scope === scope ? result.data?.canaries : undefined;
  const running = canaries?.find((c) => c.status === 'running');
  const ended = canaries?.filter((c) => c.status !== 'running') ?? [];
  const changed = (note: string) => {
    setDone(note);
    refresh();
    onChanged();
  };

  let body;
  if (result.error && !canaries) body = <ErrorState error={result.error} retry={refresh} />;
  else if (!canaries) body = <Loading what="canaries" />;
  else
    body = (
      <>
        {running ? (
          <CanaryStatus
            canary={running}
            readOnly={readOnly}
            onEnded={(action) => changed(`Canary version ${running.candidateVersion} ${action}.`)}
          />
        ) : readOnly ? (
          <p className="notice">No canary runs for this scope.</p>
        ) : (
          <>
            <p className="notice">
              No canary runs for this scope. Start one to serve the draft to a share of users before publishing it; each
              user (or conversation) stays on one version, and requests without one stay on the live version.
            </p>
            <CanaryStartForm
              scope={scope}
              draft={draft}
              blocked={blocked}
              onStarted={() => changed('Canary started.')}
            />
          </>
        )}
        {ended.length > 0 && (
          <div className="table-wrap" style={{ marginTop: '0.8rem' }}>
            <table aria-label="Ended canaries">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Traffic</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Ended at</th>
                </tr>
              </thead>
              <tbody>
                {ended.map((c) => (
                  <tr key={c.id}>
                    <th scope="row">{c.candidateVersion}</th>
                    <td>{c.percent}%</td>
                    <td>
                      <span className={`badge ${STATUS_BADGE[c.status]}`}>{c.status.replace('_', ' ')}</span>
                    </td>
                    <td>
                      {c.endedReason ?? '–'}
                      {c.endedBy === 'system' && ' (automatic)'}
                    </td>
                    <td>{c.endedAt ? formatDateTime(c.endedAt) : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>
    );

  return (
    <section className="panel" aria-labelledby="canary-heading">
      <h2 id="canary-heading">Canary</h2>
      {done && (
        <p className="success-note" role="status">
          {done}
        </p>
      )}
      {body}
    </section>
  );
}

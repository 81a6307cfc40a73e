import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql, readFragment, type FragmentOf, type ResultOf } from '../lib/graphql.js';
import { formatMs, formatPercent, formatUsd } from '../lib/format.js';

export const CanaryStatus_CanaryFragment = graphql(`
  fragment CanaryStatus_CanaryFragment on Canary {
    id
    scope
    trafficClass
    candidateVersion
    baselineVersion
    percent
    stickyBy
    maxErrorRate
    maxFallbackRate
    maxP95Ms
    minRequests
    comparison {
      canary {
        requests
        successRate
        errorRate
        fallbackRate
        avgCostUsd
        p95LatencyMs
      }
      baseline {
        requests
        successRate
        errorRate
        fallbackRate
        avgCostUsd
        p95LatencyMs
      }
    }
  }
`);

export const PromoteCanaryMutation = graphql(`
  mutation PromoteCanaryMutation($id: ID!) {
    promoteCanary(id: $id) {
      id
      status
    }
  }
`);

export const RollbackCanaryMutation = graphql(`
  mutation RollbackCanaryMutation($id: ID!) {
    rollbackCanary(id: $id) {
      id
      status
    }
  }
`);

type Arm = ResultOf<typeof CanaryStatus_CanaryFragment>['comparison']['canary'];

const ROWS: { label: string; show(arm: Arm): string }[] = [
  { label: 'Requests', show: (a) => String(a.requests) },
  { label: 'Success rate', show: (a) => formatPercent(a.successRate) },
  { label: 'Error rate', show: (a) => formatPercent(a.errorRate) },
  { label: 'Fallback rate', show: (a) => formatPercent(a.fallbackRate) },
  { label: 'Avg cost', show: (a) => formatUsd(a.avgCostUsd) },
  { label: 'p95 latency', show: (a) => formatMs(a.p95LatencyMs) },
];

export interface CanaryStatusProps {
  canary: FragmentOf<typeof CanaryStatus_CanaryFragment>;
  readOnly: boolean;
  onEnded(action: 'promoted' | 'rolled back'): void;
}

/** The running canary: canary arm against baseline, its thresholds, and (for admins) Promote or Roll back. */
export function CanaryStatus({ canary: ref, readOnly, onEnded }: CanaryStatusProps) {
  const canary = readFragment(CanaryStatus_CanaryFragment, ref);
  const [confirming, setConfirming] = useState<'promote' | 'rollback' | null>(null);
  const [promoteState, promote] = useMutation(PromoteCanaryMutation);
  const [rollbackState, rollback] = useMutation(RollbackCanaryMutation);
  const state = confirming === 'promote' ? promoteState : rollbackState;
  const thresholds = [
    canary.maxErrorRate !== null && `error rate above ${formatPercent(canary.maxErrorRate)}`,
    canary.maxFallbackRate !== null && `fallback rate above ${formatPercent(canary.maxFallbackRate)}`,
    canary.maxP95Ms !== null && `p95 above ${formatMs(canary.maxP95Ms)}`,
  ].filter(Boolean);

  const confirm = async () => {
    const result = confirming === 'promote' ? await promote({ id: canary.id }) : await rollback({ id: canary.id });
    if (result.data) {
      onEnded(confirming === 'promote' ? 'promoted' : 'rolled back');
      setConfirming(null);
    }
  };

  return (
    <div>
      <p>
        Version {canary.candidateVersion} serves {canary.percent}% of{' '}
        {canary.trafficClass ? <code>{canary.trafficClass}</code> : 'all'} traffic, sticky by {canary.stickyBy}; the
        rest runs on version {canary.baselineVersion}.{' '}
        {thresholds.length > 0
          ? `Rolls back on its own on ${thresholds.join(' or ')} after ${canary.minRequests} canary requests.`
          : 'No automatic rollback threshold.'}
      </p>
      <div className="table-wrap">
        <table aria-label="Canary against baseline">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Canary (v{canary.candidateVersion})</th>
              <th scope="col">Baseline</th>
            </tr>
          </thead>
          <tbody>
            {ROWS.map((row) => (
              <tr key={row.label}>
                <th scope="row">{row.label}</th>
                <td>{row.show(canary.comparison.canary)}</td>
                <td>{row.show(canary.comparison.baseline)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!readOnly && confirming === null && (
        <div className="actions" style={{ marginTop: '0.6rem' }}>
          <button type="button" onClick={() => setConfirming('promote')}>
            Promote
          </button>{' '}
          <button type="button" className="danger" onClick={() => setConfirming('rollback')}>
            Roll back
          </button>
        </div>
      )}
      {confirming !== null && (
        <div role="group" aria-label={confirming === 'promote' ? 'Confirm promotion' : 'Confirm rollback'}>
          <p style={{ margin: '0.6rem 0 0.4rem' }}>
            {confirming === 'promote'
              ? `Make version ${canary.candidateVersion} live for all traffic of ${canary.scope}?`
              : `Send all traffic back to the live version? Version ${canary.candidateVersion} is marked rolled back.`}
          </p>
          <button
            type="button"
            className={confirming === 'promote' ? undefined : 'danger'}
            disabled={state.fetching}
            onClick={() => void confirm()}
          >
            {confirming === 'promote' ? 'Confirm promotion' : 'Confirm rollback'}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setConfirming(null)}>
            Cancel
          </button>
          {state.error && (
            <p className="field-error" role="alert">
              Not {confirming === 'promote' ? 'promoted' : 'rolled back'}:{' '}
              {state.error.graphQLErrors[0]?.message ?? state.error.message}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

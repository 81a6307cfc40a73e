import { formatMs, formatUsd, tierLabel } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { explainAttempt } from './attempt-explanation.js';

export const AttemptTimeline_AttemptFragment = graphql(`
  fragment AttemptTimeline_AttemptFragment on Attempt {
    index
    tier
    routeId
    provider
    model
    outcome
    latencyMs
    costUsd
    status
    providerCode
    failureKind
    retry
    breakerState
    skipReason
  }
`);

interface Props {
  attempts: readonly FragmentOf<typeof AttemptTimeline_AttemptFragment>[];
}

/** Every attempt of one decision in order, each with why the request went on (or stopped) after it. */
export function AttemptTimeline({ attempts }: Props) {
  const list = attempts.map((a) => readFragment(AttemptTimeline_AttemptFragment, a)).sort((a, b) => a.index - b.index);
  if (list.length === 0) return <p className="notice">No attempts: the request reached no route.</p>;
  return (
    <ol className="timeline" aria-label="Attempts">
      {list.map((a, i) => {
        const facts: [string, string][] = [
          ['Latency', formatMs(a.latencyMs)],
          ['Cost', formatUsd(a.costUsd)],
          ['Retry', String(a.retry)],
          ['Breaker', a.breakerState],
        ];
        if (a.status !== null)
          facts.push(['Status', `HTTP ${a.status}${a.providerCode ? ` (${a.providerCode})` : ''}`]);
        if (a.failureKind) facts.push(['Failure kind', a.failureKind]);
        if (a.skipReason) facts.push(['Skip reason', a.skipReason]);
        return (
          <li key={a.index} className={a.outcome}>
            <div>
              <strong>
                {i + 1}. {tierLabel(a.tier)} · {a.routeId}
              </strong>{' '}
              <span className="notice">
                ({a.provider}/{a.model})
              </span>{' '}
              <span className={`badge ${a.outcome === 'skipped' ? 'warn' : a.outcome}`}>{a.outcome}</span>
            </div>
            <div className="notice">
              {facts.map(([label, value], j) => (
                <span key={label}>
                  {j > 0 && ' · '}
                  {label}: {value}
                </span>
              ))}
            </div>
            <div>
              <em>Why:</em> {explainAttempt(a, list[i + 1])}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

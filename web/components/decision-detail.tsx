import type { Ref } from 'react';
import { formatDateTime, formatMs, formatUsd, tierLabel } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { AttemptTimeline, AttemptTimeline_AttemptFragment } from './attempt-timeline.js';

export const DecisionDetail_DecisionFragment = graphql(
  `
    fragment DecisionDetail_DecisionFragment on Decision {
      id
      startedAt
      tenantId
      policyVersion
      budgetBand
      trafficClass
      outcome
      errorCode
      finalRouteId
      finalTier
      userId
      workflowId
      featureId
      appId
      promptHash
      sensitive
      totalLatencyMs
      totalCostUsd
      attempts {
        ...AttemptTimeline_AttemptFragment
      }
    }
  `,
  [AttemptTimeline_AttemptFragment],
);

interface Props {
  decision: FragmentOf<typeof DecisionDetail_DecisionFragment>;
  /** The heading, for the page to move focus to when a decision is picked. */
  headingRef?: Ref<HTMLHeadingElement>;
}

/** One decision: what it was (who, which policy and budget band) and every attempt, with why each fallback happened. */
export function DecisionDetail({ decision, headingRef }: Props) {
  const d = readFragment(DecisionDetail_DecisionFragment, decision);
  const summary: [string, string][] = [
    ['Id', d.id],
    ['Time', formatDateTime(d.startedAt)],
    ['Tenant', d.tenantId],
    ['Policy version', String(d.policyVersion)],
    ['Budget band', d.budgetBand],
    ['Class', d.trafficClass],
    ['Outcome', d.errorCode ? `${d.outcome} (${d.errorCode})` : d.outcome],
    ['Answered by', d.finalRouteId ? `${d.finalRouteId} (${tierLabel(d.finalTier)})` : 'no route'],
    ['Latency', formatMs(d.totalLatencyMs)],
    ['Cost', formatUsd(d.totalCostUsd)],
    ['User id', d.userId ?? '–'],
    ['Workflow id', d.workflowId ?? '–'],
    ['Feature id', d.featureId ?? '–'],
    ['App id', d.appId ?? '–'],
    ['Prompt hash', d.promptHash ?? '–'],
    ['Sensitive', d.sensitive ? 'yes' : 'no'],
  ];
  return (
    <>
      <h2 ref={headingRef} tabIndex={-1}>
        Decision <code>{d.id}</code>
      </h2>
      <dl className="grid-3" style={{ gap: '0.25rem 1rem', margin: '0 0 1rem' }}>
        {summary.map(([term, value]) => (
          <div key={term}>
            <dt className="notice">{term}</dt>
            <dd style={{ margin: 0, overflowWrap: 'anywhere' }}>
              {term === 'Id' || term === 'Prompt hash' ? <code>{value}</code> : value}
            </dd>
          </div>
        ))}
      </dl>
      <h3>Attempt timeline</h3>
      <AttemptTimeline attempts={d.attempts} />
    </>
  );
}

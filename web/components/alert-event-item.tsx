import { useMutation } from 'urql';
import { formatDateTime } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { formatMetricValue } from '../pages/alerts-data.js';
import { fieldIssues } from './field-issues.js';

export const AlertEventItem_AlertEventFragment = graphql(`
  fragment AlertEventItem_AlertEventFragment on AlertEvent {
    id
    severity
    state
    message
    subject
    metric
    value
    threshold
    at
    ruleName
    acknowledgedAt
  }
`);

const AcknowledgeAlertMutation = graphql(`
  mutation AcknowledgeAlertMutation($id: ID!) {
    acknowledgeAlert(id: $id) {
      id
      acknowledgedAt
      acknowledgedBy
    }
  }
`);

export interface AlertEventItemProps {
  event: FragmentOf<typeof AlertEventItem_AlertEventFragment>;
  /** Viewers cannot acknowledge. */
  canAcknowledge: boolean;
}

/** One alert transition: badges, what and where, the reading against the threshold, when, and its acknowledgement. */
export function AlertEventItem({ event: masked, canAcknowledge }: AlertEventItemProps) {
  const e = readFragment(AlertEventItem_AlertEventFragment, masked);
  const [result, acknowledge] = useMutation(AcknowledgeAlertMutation);
  // The mutation's answer shows at once; the refetched feed carries it from then on.
  const acknowledgedAt = result.data?.acknowledgeAlert.acknowledgedAt ?? e.acknowledgedAt;
  const error = fieldIssues(result.error, []).general;

  return (
    <li>
      <span className={`badge ${e.severity}`}>{e.severity}</span>
      <span className={`badge ${e.state}`}>{e.state}</span>
      <strong>{e.message}</strong>
      <span>
        on <code>{e.subject}</code>
      </span>
      <span>
        value {formatMetricValue(e.metric, e.value)} vs threshold {formatMetricValue(e.metric, e.threshold)}
      </span>
      <time dateTime={e.at}>{formatDateTime(e.at)}</time>
      {acknowledgedAt ? (
        <span className="notice">acknowledged at {formatDateTime(acknowledgedAt)}</span>
      ) : (
        e.state === 'fired' &&
        canAcknowledge && (
          <button
            type="button"
            className="secondary"
            aria-label={`Acknowledge ${e.ruleName} on ${e.subject}`}
            disabled={result.fetching}
            onClick={() => void acknowledge({ id: e.id })}
          >
            Acknowledge
          </button>
        )
      )}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </li>
  );
}

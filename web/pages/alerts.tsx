import { useQuery } from 'urql';
import { AlertFeed, AlertFeed_AlertEventFragment } from '../components/alert-feed.js';
import { AlertRules, AlertRules_AlertRuleFragment } from '../components/alert-rules.js';
import { ErrorState, Loading } from '../components/states.js';
import { useSession } from '../lib/auth.js';
import { graphql } from '../lib/graphql.js';

const AlertsQuery = graphql(
  `
    query AlertsQuery {
      alertEvents(first: 50) {
        ...AlertFeed_AlertEventFragment
      }
      alertRules {
        ...AlertRules_AlertRuleFragment
      }
      tenants {
        id
        name
      }
    }
  `,
  [AlertFeed_AlertEventFragment, AlertRules_AlertRuleFragment],
);

// Empty lists hold no typename, so name them: a new rule or event must still refresh the page.
const QUERY_CONTEXT = { additionalTypenames: ['AlertRule', 'AlertEvent'] };

/** Alerts: the live feed with acknowledgements, and the rules that fire them. */
export function AlertsPage() {
  const { role } = useSession();
  const [{ data, error, fetching }, reexecute] = useQuery({ query: AlertsQuery, context: QUERY_CONTEXT });
  const canEdit = role === 'admin';

  return (
    <>
      <div className="page-header">
        <h1>Alerts</h1>
        {!canEdit && <p className="notice">Read-only: viewer keys cannot acknowledge alerts or change rules.</p>}
      </div>
      {error && <ErrorState error={error} retry={() => reexecute({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading what="alerts" />}
      {data && (
        <>
          <AlertFeed events={data.alertEvents} canAcknowledge={canEdit} />
          <AlertRules rules={data.alertRules} tenants={data.tenants} canEdit={canEdit} />
        </>
      )}
    </>
  );
}

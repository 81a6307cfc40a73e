import { useCallback, useMemo } from 'react';
import { useQuery } from 'urql';
import { FlagChanges } from '../components/flag-changes.js';
import { FlagRouteTable, FlagRouteTable_RouteFragment } from '../components/flag-route-table.js';
import { FlagSwitchNotice, useFlagSwitch } from '../components/flag-switch.js';
import { FlagTierGrid } from '../components/flag-tier-grid.js';
import { FormField } from '../components/form-field.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useSession } from '../lib/auth.js';
import { graphql } from '../lib/graphql.js';
import { MAX_REASON_CHARS, indexFlags } from './flags-data.js';

export const FlagsQuery = graphql(
  `
    query FlagsQuery {
      routes {
        id
        ...FlagRouteTable_RouteFragment
      }
      featureFlags {
        id
        scope
        routeId
        tier
        trafficClass
        enabled
        reason
        updatedBy
        updatedAt
      }
    }
  `,
  [FlagRouteTable_RouteFragment],
);

// Before the first switch the answer holds no FeatureFlag, so name it: a switch must still refresh the page.
const QUERY_CONTEXT = { additionalTypenames: ['FeatureFlag'] };

/** Feature flags: switch a route, or a tier for one class or all, off and back on for every instance, with a reason. */
export function FlagsPage() {
  const { role } = useSession();
  const canEdit = role === 'admin';
  const [result, reexecute] = useQuery({ query: FlagsQuery, context: QUERY_CONTEXT });
  const refresh = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const switcher = useFlagSwitch(refresh);
  const data = result.data;
  const flags = useMemo(() => indexFlags(data?.featureFlags ?? []), [data]);

  return (
    <>
      <div className="page-header">
        <h1>Feature flags</h1>
        <div className="actions">
          <button type="button" className="secondary" onClick={refresh}>
            Refresh
          </button>
        </div>
      </div>
      <p className="notice">
        A route switched off is skipped without a call, like an open breaker, and the request moves on to the next route
        or tier; a tier switch covers every route of that tier (degrade tiers are not switched). Changes apply to every
        instance within about a second.
      </p>
      {!canEdit && <p className="notice">Read-only: only admins can switch routes and tiers.</p>}
      {!data ? (
        result.error ? (
          <ErrorState error={result.error} retry={refresh} />
        ) : (
          <Loading what="feature flags" />
        )
      ) : (
        <>
          {result.error && !result.fetching && <ErrorState error={result.error} retry={refresh} />}
          {canEdit && (
            <section className="panel" aria-label="Reason for the next change">
              <form className="filters" onSubmit={(e) => e.preventDefault()} noValidate>
                <div style={{ flex: '1 1 420px' }}>
                  <FormField
                    label="Reason"
                    hint="Required for every switch; saved with the change and in the audit log."
                    error={switcher.reasonError}
                  >
                    {(control) => (
                      <input
                        {...control}
                        value={switcher.reason}
                        maxLength={MAX_REASON_CHARS}
                        placeholder="e.g. INC-42: 500s from OpenAI"
                        style={{ width: '100%' }}
                        onChange={(e) => switcher.setReason(e.target.value)}
                      />
                    )}
                  </FormField>
                </div>
              </form>
              <FlagSwitchNotice notice={switcher.notice} />
            </section>
          )}
          <section className="panel" aria-labelledby="flag-routes-heading">
            <h2 id="flag-routes-heading">Routes</h2>
            {data.routes.length === 0 ? (
              <Empty>No routes are configured.</Empty>
            ) : (
              <FlagRouteTable routes={data.routes} flags={flags} canEdit={canEdit} switcher={switcher} />
            )}
          </section>
          <section className="panel" aria-labelledby="flag-tiers-heading">
            <h2 id="flag-tiers-heading">Tiers</h2>
            <p className="notice">
              A class’s own switch wins over the “All classes” one, so a tier can be off for every class but one.
            </p>
            <FlagTierGrid flags={flags} canEdit={canEdit} switcher={switcher} />
          </section>
          <section className="panel" aria-labelledby="flag-changes-heading">
            <h2 id="flag-changes-heading">Changes</h2>
            <FlagChanges flags={data.featureFlags} />
          </section>
        </>
      )}
    </>
  );
}

import { useId, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../lib/graphql.js';
import { ShadowComparison, ShadowComparison_ShadowFragment } from './shadow-comparison.js';
import { ShadowStartForm } from './shadow-start-form.js';
import { Empty, ErrorState, Loading } from './states.js';
import { useVisibleInterval } from './use-visible-interval.js';

export const ShadowPanelQuery = graphql(
  `
    query ShadowPanelQuery($tenantId: ID) {
      shadowRoutes(tenantId: $tenantId) {
        id
        status
        ...ShadowComparison_ShadowFragment
      }
      routes {
        id
        provider
        model
      }
    }
  `,
  [ShadowComparison_ShadowFragment],
);

export const StopShadowRouteMutation = graphql(`
  mutation StopShadowRouteMutation($id: ID!) {
    stopShadowRoute(id: $id) {
      id
      status
    }
  }
`);

export interface ShadowPanelProps {
  /** The policy page's scope: `global` lists every shadow, a tenant id that tenant's. */
  scope: string;
  readOnly: boolean;
  /** How often the comparison is read again while the page is visible, in milliseconds. Defaults to 5 000. */
  refreshMs?: number;
}

/**
 * Shadow routes under the policy editor: mirror a sample of the scope's requests to a candidate route (answers never
 * returned, spend on the shadow's own budget, sensitive requests never mirrored) and compare it with what served them.
 */
export function ShadowPanel({ scope, readOnly, refreshMs = 5_000 }: ShadowPanelProps) {
  const id = useId();
  const tenantId = scope === 'global' ? null : scope;
  const [result, reload] = useQuery({ query: ShadowPanelQuery, variables: { tenantId } });
  const refresh = () => reload({ requestPolicy: 'network-only' });
  useVisibleInterval(refresh, refreshMs);
  const [stopState, setStopState] = useState<{ id: string; error?: string }>();
  const [, stop] = useMutation(StopShadowRouteMutation);
  const data = result.operation?.variables.tenantId === tenantId ? result.data : undefined;

  const onStop = async (shadowId: string) => {
    setStopState({ id: shadowId });
    const res = await stop({ id: shadowId });
    setStopState(
      res.error ? { id: shadowId, error: res.error.graphQLErrors[0]?.message ?? res.error.message } : undefined,
    );
    refresh();
  };

  let body;
  if (result.error && !data) body = <ErrorState error={result.error} retry={refresh} />;
  else if (!data) body = <Loading what="shadow routes" />;
  else {
    const running = data.shadowRoutes.filter((s) => s.status === 'running');
    const stopped = data.shadowRoutes.filter((s) => s.status !== 'running');
    body = (
      <>
        {!readOnly && <ShadowStartForm scope={scope} routes={data.routes} onStarted={refresh} />}
        {stopState?.error && (
          <p className="field-error" role="alert">
            {stopState.error}
          </p>
        )}
        {data.shadowRoutes.length === 0 && <Empty>No shadow route for this scope yet.</Empty>}
        {[...running, ...stopped].map((s) => (
          <ShadowComparison
            key={s.id}
            shadow={s}
            stopping={stopState?.id === s.id && !stopState.error}
            {...(!readOnly && { onStop: (shadowId: string) => void onStop(shadowId) })}
          />
        ))}
      </>
    );
  }

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Shadow routes</h2>
      <p className="notice">
        A shadow route gets a copy of a sample of this scope’s requests after they are served. Its answers are never
        returned and never delay a request; it is charged to its own shadow budget, not the tenant’s; sensitive requests
        are never mirrored.
      </p>
      {body}
    </section>
  );
}

import { useEffect, useRef, useState, type RefObject } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { DecisionDetail, DecisionDetail_DecisionFragment } from '../components/decision-detail.js';
import {
  DecisionFilters,
  DecisionFilters_RouteFragment,
  DecisionFilters_TenantFragment,
} from '../components/decision-filters.js';
import { DecisionTable, DecisionTable_DecisionFragment } from '../components/decision-table.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { graphql, type ResultOf } from '../lib/graphql.js';
import { readFilterValues, toDecisionFilter, withFilterValue, withoutFilters } from './decision-filter.js';

/** Rows per page of the decision log. */
export const PAGE_SIZE = 50;

export const DecisionsQuery = graphql(
  `
    query DecisionsQuery($first: Int, $after: String, $filter: DecisionFilter) {
      tenants {
        ...DecisionFilters_TenantFragment
      }
      routes {
        ...DecisionFilters_RouteFragment
      }
      decisions(first: $first, after: $after, filter: $filter) {
        edges {
          cursor
          node {
            id
            ...DecisionTable_DecisionFragment
          }
        }
        pageInfo {
          endCursor
          hasNextPage
        }
      }
    }
  `,
  [DecisionFilters_TenantFragment, DecisionFilters_RouteFragment, DecisionTable_DecisionFragment],
);

// Its own query: picking a row should not re-send the page of 50 decisions it was picked from.
export const DecisionDetailQuery = graphql(
  `
    query DecisionDetailQuery($id: ID!) {
      decision(id: $id) {
        id
        ...DecisionDetail_DecisionFragment
      }
    }
  `,
  [DecisionDetail_DecisionFragment],
);

type Edge = ResultOf<typeof DecisionsQuery>['decisions']['edges'][number];

/** The pages already shown for one filter, and the cursor of the page being shown last. */
interface Paging {
  filterKey: string;
  earlier: Edge[];
  after: string | undefined;
}

/** The decision log: filters kept in the address, keyset pages, and the selected decision's attempt timeline. */
export function DecisionsPage() {
  const { id: selectedId } = useParams();
  const [searchParams, setSearchParams] = useSearchParams();
  const focusDetail = useRef(false);

  const values = readFilterValues(searchParams);
  const { filter, issues } = toDecisionFilter(values);
  const filterKey = JSON.stringify(filter);
  const [paging, setPaging] = useState<Paging>({ filterKey, earlier: [], after: undefined });
  // A new filter starts again from the first page.
  const current: Paging = paging.filterKey === filterKey ? paging : { filterKey, earlier: [], after: undefined };
  const variables = { first: PAGE_SIZE, filter, ...(current.after && { after: current.after }) };

  const [result, reexecute] = useQuery({ query: DecisionsQuery, variables });
  const sent = result.operation?.variables as { after?: string | null; filter?: unknown } | undefined;
  // urql keeps the previous answer while the next one loads; only an answer to these variables is this page.
  const page =
    result.data && sent && (sent.after ?? undefined) === current.after && JSON.stringify(sent.filter) === filterKey
      ? result.data.decisions
      : undefined;
  const seen = new Set(current.earlier.map((e) => e.node.id));
  const edges = [...current.earlier, ...(page?.edges ?? []).filter((e) => !seen.has(e.node.id))];

  const search = searchParams.toString();
  const hrefFor = (id: string) => `/decisions/${encodeURIComponent(id)}${search ? `?${search}` : ''}`;

  return (
    <>
      <div className="page-header">
        <h1>Decision log</h1>
      </div>
      <section className="panel" aria-labelledby="decision-filters-heading">
        <h2 id="decision-filters-heading">Filters</h2>
        <DecisionFilters
          tenants={result.data?.tenants ?? []}
          routes={result.data?.routes ?? []}
          values={values}
          issues={issues}
          onChange={(param, value) => setSearchParams(withFilterValue(searchParams, param, value), { replace: true })}
          onClear={() => setSearchParams(withoutFilters(searchParams), { replace: true })}
        />
      </section>
      {selectedId && (
        <section className="panel" aria-label="Selected decision">
          <DecisionDetailPanel id={selectedId} focusRequested={focusDetail} />
          <p>
            <Link to={`/decisions${search ? `?${search}` : ''}`}>Close the decision</Link>
          </p>
        </section>
      )}
      <section className="panel" aria-labelledby="decisions-heading">
        <h2 id="decisions-heading">Decisions</h2>
        {result.error && !result.fetching && !page ? (
          <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: 'network-only' })} />
        ) : !page && edges.length === 0 ? (
          <Loading what="decisions" />
        ) : edges.length === 0 ? (
          <Empty>No decisions match these filters.</Empty>
        ) : (
          <>
            <DecisionTable
              decisions={edges.map((e) => e.node)}
              selectedId={selectedId}
              hrefFor={hrefFor}
              onOpen={() => {
                focusDetail.current = true;
              }}
            />
            <p className="notice" aria-live="polite">
              {edges.length} decision{edges.length === 1 ? '' : 's'} shown
              {page && !page.pageInfo.hasNextPage ? ' (all that match)' : ''}.
            </p>
            {!page ? (
              <Loading what="more decisions" />
            ) : (
              page.pageInfo.hasNextPage &&
              page.pageInfo.endCursor && (
                <button
                  type="button"
                  className="secondary"
                  onClick={() => setPaging({ filterKey, earlier: edges, after: page.pageInfo.endCursor ?? undefined })}
                >
                  Load more
                </button>
              )
            )}
            {result.error && page && <ErrorState error={result.error} />}
          </>
        )}
      </section>
    </>
  );
}

/** Loads and shows one decision; moves focus to it when the admin picked it from the table. */
function DecisionDetailPanel({ id, focusRequested }: { id: string; focusRequested: RefObject<boolean> }) {
  const [result, reexecute] = useQuery({ query: DecisionDetailQuery, variables: { id } });
  const heading = useRef<HTMLHeadingElement>(null);
  const decision = result.data?.decision?.id === id ? result.data.decision : undefined;

  useEffect(() => {
    if (decision && focusRequested.current) {
      focusRequested.current = false;
      heading.current?.focus();
    }
  }, [decision, focusRequested]);

  if (decision) return <DecisionDetail decision={decision} headingRef={heading} />;
  if (result.error)
    return <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: 'network-only' })} />;
  if (result.fetching || !result.data) return <Loading what={`decision ${id}`} />;
  return (
    <>
      <h2>Decision {id}</h2>
      <Empty>No decision {id}: it does not exist, or belongs to a tenant you cannot see.</Empty>
    </>
  );
}

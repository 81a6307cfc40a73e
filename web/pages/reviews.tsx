import { useCallback, useEffect, useMemo, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { ReviewItemCard, ReviewItemCard_ReviewItemFragment } from '../components/review-item-card.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useThrottledRefetch } from '../components/use-throttled-refetch.js';
import { useSession } from '../lib/auth.js';
import { graphql } from '../lib/graphql.js';

const ReviewsQuery = graphql(
  `
    query ReviewsQuery($status: ReviewStatus, $tenantId: ID, $first: Int) {
      reviewItems(status: $status, tenantId: $tenantId, first: $first) {
        id
        createdAt
        tenantId
        ...ReviewItemCard_ReviewItemFragment
      }
      tenants {
        id
        name
      }
    }
  `,
  [ReviewItemCard_ReviewItemFragment],
);

const ReviewQueueSubscription = graphql(`
  subscription ReviewQueueSubscription($tenantId: ID) {
    jobUpdated(tenantId: $tenantId) {
      id
      kind
      status
    }
  }
`);

type Status = 'pending' | 'answered';
// The server lists oldest first and caps a page at 200: ask for all of it, then show newest first.
const PAGE_SIZE = 200;

/** Reviews: the human review queue, with candidate approval and free answers for admins. */
export function ReviewsPage() {
  const { role } = useSession();
  const canReview = role === 'admin';
  const [status, setStatus] = useState<Status>('pending');
  const [tenantId, setTenantId] = useState('');
  const [answeredJob, setAnsweredJob] = useState<string | undefined>();

  const variables = useMemo(() => ({ status, tenantId: tenantId || null, first: PAGE_SIZE }), [status, tenantId]);
  const [{ data, error, fetching }, reexecute] = useQuery({ query: ReviewsQuery, variables });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const refresh = useThrottledRefetch(refetch);

  // A review job arriving or answered elsewhere changes the queue; other jobs do not.
  const [feed] = useSubscription(
    { query: ReviewQueueSubscription, variables: { tenantId: tenantId || null } },
    (count: number | undefined, event) => (event.jobUpdated.kind === 'review' ? (count ?? 0) + 1 : (count ?? 0)),
  );
  useEffect(() => {
    if (feed.data) refresh();
  }, [feed.data, refresh]);

  const tenantName = useMemo(() => new Map(data?.tenants.map((t) => [t.id, t.name])), [data]);
  const items = useMemo(
    () => [...(data?.reviewItems ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    [data],
  );

  const onAnswered = (jobId: string) => {
    setAnsweredJob(jobId);
    refetch();
  };

  return (
    <>
      <div className="page-header">
        <h1>Reviews</h1>
        {!canReview && <p className="notice">Read-only: only admin keys can answer review items.</p>}
      </div>
      <div className="filters">
        <div>
          <label htmlFor="review-status">Status</label>
          <select id="review-status" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
            <option value="pending">pending</option>
            <option value="answered">answered</option>
          </select>
        </div>
        <div>
          <label htmlFor="review-tenant">Tenant</label>
          <select id="review-tenant" value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
            <option value="">All tenants</option>
            {data?.tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {answeredJob && (
        <p className="success-note" role="status">
          Answered: delivered to the waiting client (job {answeredJob})
        </p>
      )}
      {error && <ErrorState error={error} retry={refetch} />}
      {!data && fetching && <Loading what="the review queue" />}
      {data && items.length === 0 && (
        <Empty>{status === 'pending' ? 'No requests are waiting for review.' : 'No answered review items yet.'}</Empty>
      )}
      {items.map((item) => (
        <ReviewItemCard
          key={item.id}
          item={item}
          tenantName={tenantName.get(item.tenantId) ?? item.tenantId}
          canReview={canReview}
          onAnswered={onAnswered}
        />
      ))}
    </>
  );
}

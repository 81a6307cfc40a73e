import { useQuery } from 'urql';
import { BudgetCard, BudgetCard_BudgetFragment } from '../components/budget-card.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useSession } from '../lib/auth.js';
import { formatPercent } from '../lib/format.js';
import { graphql } from '../lib/graphql.js';
import { bandLabel, bandsOf, bandTicks } from './budgets-data.js';

const BudgetsQuery = graphql(
  `
    query BudgetsQuery {
      tenants {
        id
        name
        budget {
          ...BudgetCard_BudgetFragment
        }
      }
      policy(scope: "global") {
        id
        document
      }
    }
  `,
  [BudgetCard_BudgetFragment],
);

// Without a budget on the page the result holds no Budget, so name it: setBudget must still refresh the page.
const QUERY_CONTEXT = { additionalTypenames: ['Budget'] };

/** Budgets per tenant: usage against limits and bands, prepaid balances, projected month-end spend. */
export function BudgetsPage() {
  const { role } = useSession();
  const [result, reexecute] = useQuery({ query: BudgetsQuery, context: QUERY_CONTEXT });
  const { data, error, fetching } = result;
  // Ticks show the global bands; a tenant's own policy may move them, and the band badge (from the server) says so.
  const ticks = bandTicks(bandsOf(data?.policy?.document));

  return (
    <>
      <div className="page-header">
        <h1>Budgets</h1>
        <p className="notice" style={{ margin: 0 }}>
          Bands (global policy): {ticks.map((t) => `${bandLabel(t.band)} ${formatPercent(t.fraction, 0)}`).join(', ')}
        </p>
      </div>
      {error && <ErrorState error={error} retry={() => reexecute({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading what="budgets" />}
      {data && data.tenants.length === 0 && (
        <Empty>No tenants yet: each tenant&apos;s budget shows here once the tenant exists.</Empty>
      )}
      {data && data.tenants.length > 0 && (
        <div className="grid-2">
          {data.tenants.map((t) => (
            <BudgetCard key={t.id} tenant={t} budget={t.budget} ticks={ticks} canEdit={role === 'admin'} />
          ))}
        </div>
      )}
    </>
  );
}

import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import { graphql, readFragment, type FragmentOf, type ResultOf } from '../lib/graphql.js';
import { tierLabel } from '../lib/format.js';
import { MAX_TIERS, addTier, tierColumns, type Draft } from '../pages/policy-draft.js';
import { FieldIssues, type FieldContext } from './policy-fields.js';
import { TierCell } from './policy-tier-cell.js';

/** What a route picker shows of a catalogue route. */
export const PolicyMatrix_RouteFragment = graphql(`
  fragment PolicyMatrix_RouteFragment on Route {
    id
    model
    provider
    qualityClass
    price {
      inputPerMTok
      outputPerMTok
    }
    breaker {
      state
    }
  }
`);
export type RouteOption = ResultOf<typeof PolicyMatrix_RouteFragment>;

export interface PolicyMatrixProps extends FieldContext {
  draft: Draft;
  routes: readonly FragmentOf<typeof PolicyMatrix_RouteFragment>[];
  onChange(next: Draft): void;
}

const columnTitle = (i: number) => {
  const label = tierLabel(i);
  return label.charAt(0).toUpperCase() + label.slice(1);
};

/** The traffic class x tier grid: one row per class, one column per fallback position. */
export function PolicyMatrix({ draft, routes: routeRefs, onChange, issues, readOnly }: PolicyMatrixProps) {
  const routes = readFragment(PolicyMatrix_RouteFragment, routeRefs);
  const columns = tierColumns(draft);
  return (
    <section className="panel" aria-labelledby="policy-matrix-heading">
      <h2 id="policy-matrix-heading">Tiers by traffic class</h2>
      <p className="notice">
        Each request tries its class’s tiers left to right. A degrade tier ends the request without a model (cached or
        default answer, queue, pause, human review, or fail fast).
      </p>
      <div className="table-wrap">
        <table className="matrix">
          <caption style={{ textAlign: 'left', color: 'var(--muted)' }}>Routes and degradation per tier</caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              {Array.from({ length: columns }, (_, i) => (
                <th scope="col" key={i}>
                  {columnTitle(i)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {TRAFFIC_CLASSES.map((cls) => {
              const tiers = draft.classes[cls].tiers;
              return (
                <tr key={cls}>
                  <th scope="row" style={{ minWidth: 130 }}>
                    <code>{cls}</code>
                    <FieldIssues field={`classes.${cls}`} issues={issues} />
                    <FieldIssues field={`classes.${cls}.tiers`} issues={issues} />
                    {!readOnly && (
                      <button
                        type="button"
                        className="secondary"
                        style={{ display: 'block', marginTop: '0.5rem' }}
                        disabled={tiers.length >= MAX_TIERS}
                        aria-label={`Add tier to ${cls}`}
                        onClick={() => onChange(addTier(draft, cls))}
                      >
                        Add tier
                      </button>
                    )}
                  </th>
                  {Array.from({ length: columns }, (_, i) => {
                    const tier = tiers[i];
                    return tier ? (
                      <TierCell
                        key={i}
                        draft={draft}
                        cls={cls}
                        index={i}
                        tier={tier}
                        routes={routes}
                        onChange={onChange}
                        issues={issues}
                        readOnly={readOnly}
                      />
                    ) : (
                      <td key={i}>
                        <span className="notice">No tier</span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

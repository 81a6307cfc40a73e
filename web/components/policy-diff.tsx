import type { CombinedError } from 'urql';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { Empty, ErrorState, Loading } from './states.js';

/** What publishing the draft would change, leaf by leaf. */
export const PolicyDiff_DiffFragment = graphql(`
  fragment PolicyDiff_DiffFragment on PolicyDiff {
    baseVersion
    valid
    changes {
      path
      kind
      before
      after
    }
  }
`);

const KIND_BADGE = { added: 'ok', changed: 'warn', removed: 'bad' } as const;

/** A JSON value short enough for a table cell. */
export function formatJsonValue(value: unknown): string {
  if (value === null || value === undefined) return '–';
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export interface PolicyDiffProps {
  diff: FragmentOf<typeof PolicyDiff_DiffFragment> | undefined;
  fetching: boolean;
  error: CombinedError | undefined;
  /** The draft changed since this diff was asked for. */
  pending: boolean;
}

/** The draft against the scope's live version (maybe inherited from global), refreshed as the draft changes. */
export function PolicyDiff({ diff: ref, fetching, error, pending }: PolicyDiffProps) {
  const diff = readFragment(PolicyDiff_DiffFragment, ref);
  return (
    <section className="panel" aria-labelledby="policy-diff-heading" aria-busy={fetching || pending}>
      <h2 id="policy-diff-heading">Changes against the published version</h2>
      {error ? (
        <ErrorState error={error} />
      ) : !diff ? (
        <Loading what="the diff" />
      ) : (
        <>
          <p className="notice">
            {diff.baseVersion === null
              ? 'Nothing is published for this scope yet.'
              : `Compared with version ${diff.baseVersion}.`}
            {pending || fetching ? ' Updating…' : ''}
            {!diff.valid && ' The draft would not publish as it is.'}
          </p>
          {diff.changes.length === 0 ? (
            <Empty>No changes.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Change</th>
                    <th scope="col">Before → after</th>
                  </tr>
                </thead>
                <tbody>
                  {diff.changes.map((c) => (
                    <tr key={`${c.kind}:${c.path}`}>
                      <td>
                        <code>{c.path}</code>
                      </td>
                      <td>
                        <span className={`badge ${KIND_BADGE[c.kind]}`}>{c.kind}</span>
                      </td>
                      <td>
                        <code>{formatJsonValue(c.before)}</code> → <code>{formatJsonValue(c.after)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

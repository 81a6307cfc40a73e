import { formatDateTime } from '../lib/format.js';
import { newestFirst, subjectLabel, subjectOf, type Flag } from '../pages/flags-data.js';

/** Who made a change: the key id's first 8 characters, as the top bar shows keys; "the system" without one. */
function actor(updatedBy: string | null) {
  return updatedBy ? (
    <>
      key <code title={updatedBy}>{updatedBy.slice(0, 8)}</code>
    </>
  ) : (
    'the system'
  );
}

/** One flag's last change, in a line: who, when and why. */
export function FlagChangeNote({ flag }: { flag: Flag | undefined }) {
  if (!flag) return <span className="notice">never switched</span>;
  return (
    <span className="flag-change">
      switched {flag.enabled ? 'on' : 'off'} by {actor(flag.updatedBy)} at{' '}
      <time dateTime={flag.updatedAt}>{formatDateTime(flag.updatedAt)}</time>: <q>{flag.reason}</q>
    </span>
  );
}

/** Every flag, newest change first: what was switched, by whom, when and why. */
export function FlagChanges({ flags }: { flags: readonly Flag[] }) {
  if (flags.length === 0) return <p className="notice">Nothing has been switched yet: every route and tier is on.</p>;
  return (
    <ul className="feed" aria-label="Flag changes">
      {newestFirst(flags).map((f) => (
        <li key={f.id}>
          <strong>{subjectLabel(subjectOf(f))}</strong>
          <span className={`badge ${f.enabled ? 'ok' : 'failed'}`}>{f.enabled ? 'on' : 'off'}</span>
          <span>
            by {actor(f.updatedBy)} at <time dateTime={f.updatedAt}>{formatDateTime(f.updatedAt)}</time>
          </span>
          <q>{f.reason}</q>
        </li>
      ))}
    </ul>
  );
}

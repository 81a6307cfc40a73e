import { useMemo, useState } from 'react';
import { useSubscription } from 'urql';
import { SEVERITIES } from '../../shared/contracts/alert.js';
import { graphql, readFragment, type FragmentOf, type ResultOf } from '../lib/graphql.js';
import { filterEvents, mergeEvents, type EventFilter } from '../pages/alerts-data.js';
import { AlertEventItem, AlertEventItem_AlertEventFragment } from './alert-event-item.js';
import { Empty } from './states.js';

export const AlertFeed_AlertEventFragment = graphql(
  `
    fragment AlertFeed_AlertEventFragment on AlertEvent {
      id
      state
      severity
      at
      ...AlertEventItem_AlertEventFragment
    }
  `,
  [AlertEventItem_AlertEventFragment],
);

const AlertsFeedSubscription = graphql(
  `
    subscription AlertsFeedSubscription {
      alerts {
        ...AlertFeed_AlertEventFragment
      }
    }
  `,
  [AlertFeed_AlertEventFragment],
);

type Event = FragmentOf<typeof AlertFeed_AlertEventFragment>;

// Enough for a long session; older events stay reachable through the query.
const MAX_LIVE = 200;
const keepLive = (prev: Event[] = [], data: ResultOf<typeof AlertsFeedSubscription>) =>
  [data.alerts, ...prev].slice(0, MAX_LIVE);

export interface AlertFeedProps {
  /** The latest events from the page query, newest first. */
  events: readonly Event[];
  canAcknowledge: boolean;
}

/** Alerts as they fire and resolve: the queried events plus what the subscription pushes, filterable. */
export function AlertFeed({ events, canAcknowledge }: AlertFeedProps) {
  const [live] = useSubscription({ query: AlertsFeedSubscription }, keepLive);
  const [filter, setFilter] = useState<EventFilter>({ severity: '', state: '' });
  const shown = useMemo(() => {
    const unmasked = (list: readonly Event[]) => list.map((e) => readFragment(AlertFeed_AlertEventFragment, e));
    const merged = mergeEvents(unmasked(live.data ?? []), unmasked(events));
    return filterEvents(merged, filter);
  }, [live.data, events, filter]);
  const total = events.length + (live.data?.length ?? 0);

  return (
    <section className="panel" aria-labelledby="live-alerts-heading">
      <h2 id="live-alerts-heading">Live alerts</h2>
      <div className="filters">
        <div>
          <label htmlFor="alert-severity-filter">Severity</label>
          <select
            id="alert-severity-filter"
            value={filter.severity}
            onChange={(e) => setFilter({ ...filter, severity: e.target.value })}
          >
            <option value="">All severities</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="alert-state-filter">State</label>
          <select
            id="alert-state-filter"
            value={filter.state}
            onChange={(e) => setFilter({ ...filter, state: e.target.value })}
          >
            <option value="">All states</option>
            <option value="fired">fired</option>
            <option value="resolved">resolved</option>
          </select>
        </div>
      </div>
      {live.error && (
        <p className="notice" role="status">
          Live updates are not connected ({live.error.message}); showing events as of the last load.
        </p>
      )}
      <div aria-live="polite">
        {shown.length === 0 ? (
          <Empty>
            {total === 0
              ? 'No alerts yet: events appear here as soon as a rule fires.'
              : 'No events match these filters.'}
          </Empty>
        ) : (
          <ul className="feed">
            {shown.map((e) => (
              <AlertEventItem key={`${e.id}:${e.state}`} event={e} canAcknowledge={canAcknowledge} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

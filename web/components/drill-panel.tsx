import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, type CombinedError } from 'urql';
import { useSession } from '../lib/auth.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { DRILL_MINUTES, DRILL_PRESETS, describeProfile, drillMinutesIssue, timeLeft } from './drill-presets.js';
import { errorCode } from './states.js';
import { useVisibleInterval } from './use-visible-interval.js';

export const DrillPanel_RouteFragment = graphql(`
  fragment DrillPanel_RouteFragment on Route {
    id
    provider
    model
  }
`);

export const DrillPanel_DrillFragment = graphql(`
  fragment DrillPanel_DrillFragment on Drill {
    routeId
    model
    profile
    startedAt
    endsAt
  }
`);

export const StartDrillMutation = graphql(
  `
    mutation StartDrillMutation($input: StartDrillInput!) {
      startDrill(input: $input) {
        ...DrillPanel_DrillFragment
      }
    }
  `,
  [DrillPanel_DrillFragment],
);

export const StopDrillMutation = graphql(`
  mutation StopDrillMutation($routeId: ID!) {
    stopDrill(routeId: $routeId)
  }
`);

/** The server's words for a failed drill mutation, with what to do when no simulator runs. */
export function drillErrorMessage(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (!first) return `The gateway did not answer: ${error.networkError?.message ?? error.message}`;
  if (errorCode(error) === 'DRILL_UNAVAILABLE')
    return `Drills need the built-in simulator (the demo config). ${first.message}`;
  const issues = first.extensions?.issues;
  if (Array.isArray(issues) && issues.length > 0)
    return issues.map((i: { path: string; message: string }) => `${i.path}: ${i.message}`).join('; ');
  return first.message;
}

interface Props {
  routes: readonly FragmentOf<typeof DrillPanel_RouteFragment>[];
  drills: readonly FragmentOf<typeof DrillPanel_DrillFragment>[];
  /** Called after a drill starts or stops, so the page re-reads breakers and drills at once. */
  onChanged(): void;
}

/** Puts a fault on one route's simulated model for a few minutes (admins), and lists running drills. */
export function DrillPanel({ routes, drills, onChanged }: Props) {
  const { role } = useSession();
  const isAdmin = role === 'admin';
  const id = useId();
  const routeList = routes.map((r) => readFragment(DrillPanel_RouteFragment, r));
  const running = drills.map((d) => readFragment(DrillPanel_DrillFragment, d));

  const [routeId, setRouteId] = useState('');
  const [presetId, setPresetId] = useState(DRILL_PRESETS[0]!.id);
  const [minutes, setMinutes] = useState(String(DRILL_MINUTES.default));
  const [minutesIssue, setMinutesIssue] = useState<string>();
  const [startError, setStartError] = useState<string>();
  const [started, setStarted] = useState<{ routeId: string; label: string; minutes: number }>();
  const [stopState, setStopState] = useState<{ routeId: string; error?: string }>();
  const [start, startDrill] = useMutation(StartDrillMutation);
  const [stop, stopDrill] = useMutation(StopDrillMutation);
  const [now, setNow] = useState(() => Date.now());
  useVisibleInterval(() => setNow(Date.now()), 1000);

  const chosenRoute = routeId || routeList[0]?.id || '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const issue = drillMinutesIssue(minutes);
    setMinutesIssue(issue);
    setStartError(undefined);
    setStarted(undefined);
    const preset = DRILL_PRESETS.find((p) => p.id === presetId);
    if (issue || !preset || !chosenRoute) return;
    const result = await startDrill({
      input: { routeId: chosenRoute, profile: preset.profile, durationSeconds: Number(minutes) * 60 },
    });
    if (result.error) return setStartError(drillErrorMessage(result.error));
    setStarted({ routeId: chosenRoute, label: preset.label, minutes: Number(minutes) });
    onChanged();
  };

  const end = async (target: string) => {
    setStopState({ routeId: target });
    const result = await stopDrill({ routeId: target });
    if (result.error) return setStopState({ routeId: target, error: drillErrorMessage(result.error) });
    setStopState(undefined);
    onChanged();
  };

  return (
    <>
      <h2 id={`${id}-heading`}>Drill</h2>
      <p className="notice">
        Puts a fault on a route’s simulated model for a few minutes, to watch the breaker open and the fallback take
        over. A drill replaces any drill already running on the same model.
      </p>
      {isAdmin ? (
        <form className="filters" aria-labelledby={`${id}-heading`} onSubmit={(e) => void submit(e)} noValidate>
          <div>
            <label htmlFor={`${id}-route`}>Route</label>
            <select id={`${id}-route`} value={chosenRoute} onChange={(e) => setRouteId(e.target.value)}>
              {routeList.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.id} ({r.provider}/{r.model})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-fault`}>Fault</label>
            <select id={`${id}-fault`} value={presetId} onChange={(e) => setPresetId(e.target.value)}>
              {DRILL_PRESETS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-minutes`}>Duration (minutes)</label>
            <input
              id={`${id}-minutes`}
              type="number"
              inputMode="numeric"
              min={DRILL_MINUTES.min}
              max={DRILL_MINUTES.max}
              step={1}
              value={minutes}
              onChange={(e) => setMinutes(e.target.value)}
              aria-invalid={minutesIssue ? true : undefined}
              aria-describedby={minutesIssue ? `${id}-minutes-error` : undefined}
            />
            {minutesIssue && (
              <p className="field-error" id={`${id}-minutes-error`} role="alert">
                {minutesIssue}
              </p>
            )}
          </div>
          <div>
            <button type="submit" className="danger" disabled={start.fetching || routeList.length === 0}>
              Start drill
            </button>
          </div>
        </form>
      ) : (
        <p className="notice">Only admins can start or stop drills.</p>
      )}
      {startError && (
        <p className="field-error" role="alert">
          {startError}
        </p>
      )}
      {started && (
        <p className="success-note" role="status">
          Drill started on <code>{started.routeId}</code>: {started.label} for {started.minutes} min. Send traffic and
          watch the breaker open and the fallback take over on the <Link to="/">Overview</Link>.
        </p>
      )}
      <h3>Running now</h3>
      {running.length === 0 ? (
        <p className="notice">No drill is running.</p>
      ) : (
        <ul className="feed" aria-label="Active drills">
          {running.map((d) => (
            <li key={d.routeId}>
              <strong id={`${id}-drill-${d.routeId}`}>
                <code>{d.routeId}</code>
              </strong>
              <span className="notice">model {d.model}</span>
              <span>{describeProfile(d.profile)}</span>
              <span>{timeLeft(d.endsAt, now)} left</span>
              {isAdmin && (
                <button
                  type="button"
                  className="secondary"
                  aria-describedby={`${id}-drill-${d.routeId}`}
                  disabled={stop.fetching && stopState?.routeId === d.routeId}
                  onClick={() => void end(d.routeId)}
                >
                  Stop drill
                </button>
              )}
              {stopState?.routeId === d.routeId && stopState.error && (
                <span className="field-error" role="alert">
                  {stopState.error}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

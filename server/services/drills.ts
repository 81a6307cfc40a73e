import { z } from 'zod';
import { FaultProfileSchema, type FaultProfile } from '../../shared/contracts/fault-profile.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import { BackstopError } from '../../shared/engine/errors.js';
import type { Clock } from '../../shared/engine/ports.js';
import type { Simulator } from '../providers/simulator/server.js';
import type { Principal, TenantStore } from './tenant-store.js';

/** Shortest and longest drill, in seconds. */
export const DRILL_DURATION_SECONDS = { min: 10, max: 900 } as const;

/** What starting a drill takes; GraphQL parses its input with this schema before calling `start`. */
export const DrillInputSchema = z.object({
  routeId: z.string().min(1),
  profile: FaultProfileSchema,
  durationSeconds: z
    .number()
    .int()
    .min(DRILL_DURATION_SECONDS.min, `must be at least ${DRILL_DURATION_SECONDS.min} seconds`)
    .max(DRILL_DURATION_SECONDS.max, `must be at most ${DRILL_DURATION_SECONDS.max} seconds`),
});
export type DrillInput = z.infer<typeof DrillInputSchema>;

/** A running drill: the route's simulated model answers with `profile` until `endsAt`. */
export interface Drill {
  routeId: string;
  model: string;
  profile: FaultProfile;
  startedAt: Date;
  endsAt: Date;
}

/** Thrown when a drill is asked for but no simulator runs (real providers), or after `close()`. */
export class DrillUnavailableError extends BackstopError {
  constructor(message = 'drills need the built-in simulator, and no provider uses it') {
    super('DRILL_UNAVAILABLE', message);
    this.name = 'DrillUnavailableError';
  }
}

export interface DrillServiceOptions {
  /** The in-process simulator; without one (real providers) `start` throws DrillUnavailableError. */
  simulator?: Pick<Simulator, 'setProfile' | 'clearProfile' | 'profiles'> | undefined;
  routes: ReadonlyMap<string, RouteSpec>;
  /** The configured providers by name: a route whose provider is not of kind `simulator` cannot be drilled. */
  providers?: Readonly<Record<string, { kind: string }>>;
  /** Stamps `startedAt` / `endsAt`; the end timer itself is a real (unref'd) timer. */
  clock: Clock;
  /** Writes the audit log (`TenantStore.audit`); drills are not audited without it. */
  audit?: TenantStore['audit'];
}

/** Fault drills: a fault profile on one route's simulated model for a while, to watch the fallback take over. */
export interface DrillService {
  /**
   * Applies `profile` to the route's model for `durationSeconds` (10 to 900), replacing a drill already running on the
   * route or on another route of the same model. Audited as `drill.started`. Throws DrillUnavailableError without a
   * simulator or for a route on a real provider, and BackstopError (REQUEST_REJECTED) for an unknown route or an invalid input.
   */
  start(input: DrillInput, actor: Principal | null): Promise<Drill>;
  /** Ends the route's drill now, restoring the model's profile; false when none runs. Audited as `drill.stopped`. */
  stop(routeId: string, actor?: Principal | null): Promise<boolean>;
  /** Running drills, by route id. */
  list(): Drill[];
  /** Clears every timer and restores every profile; `start` is unavailable afterwards. */
  close(): void;
}

interface Running extends Drill {
  /** The model's own profile before the first drill on it: put back when the drill ends. */
  previous: FaultProfile | undefined;
  timer: NodeJS.Timeout;
}

const rejected = (message: string) => new BackstopError('REQUEST_REJECTED', message);

/**
 * Runs drills against the simulator, which is keyed by model: a drill on a route sets the profile of the route's model.
 * @example
 * const drills = createDrillService({ simulator: registry.simulator, routes: config.routes, clock });
 * await drills.start({ routeId: 'gpt-4o', profile: { errorRates: { '500': 1 } }, durationSeconds: 120 }, actor);
 */
export function createDrillService(options: DrillServiceOptions): DrillService {
  const { simulator, routes, providers, clock, audit } = options;
  const running = new Map<string, Running>();
  let closed = false;

  const restore = (drill: Running) => {
    clearTimeout(drill.timer);
    running.delete(drill.routeId);
    if (!simulator) return;
    if (drill.previous) simulator.setProfile(drill.model, drill.previous);
    else simulator.clearProfile(drill.model);
  };

  const routeOf = (routeId: string): RouteSpec => {
    const route = routes.get(routeId);
    if (!route) throw rejected(`no route "${routeId}"`);
    return route;
  };

  const view = ({ routeId, model, profile, startedAt, endsAt }: Running): Drill => ({
    routeId,
    model,
    profile,
    startedAt,
    endsAt,
  });

  return {
    async start(input, actor) {
      if (!simulator || closed) throw new DrillUnavailableError(closed ? 'drills are closed' : undefined);
      const parsed = DrillInputSchema.safeParse(input);
      if (!parsed.success) throw rejected(`invalid drill: ${z.prettifyError(parsed.error)}`);
      const { routeId, profile, durationSeconds } = parsed.data;
      const { model, provider } = routeOf(routeId);
      const kind = providers?.[provider]?.kind;
      if (kind !== undefined && kind !== 'simulator')
        throw new DrillUnavailableError(`route "${routeId}" uses provider "${provider}" (${kind}), not the simulator`);
      const startedAtMs = clock.now();
      const endsAtMs = startedAtMs + durationSeconds * 1000;
      // Audited before anything changes: a drill never runs without its record.
      await audit?.(actor, 'drill.started', routeId, null, {
        model,
        profile,
        durationSeconds,
        endsAt: new Date(endsAtMs).toISOString(),
      });
      if (closed) throw new DrillUnavailableError('drills are closed');

      // One drill per model: the simulator holds one profile per model, so a second route on it takes over.
      const replaced = [...running.values()].find((d) => d.model === model);
      if (replaced) {
        clearTimeout(replaced.timer);
        running.delete(replaced.routeId);
      }
      const previous = replaced ? replaced.previous : simulator.profiles()[model];
      simulator.setProfile(model, profile);
      const drill: Running = {
        routeId,
        model,
        profile,
        startedAt: new Date(startedAtMs),
        endsAt: new Date(endsAtMs),
        previous,
        timer: setTimeout(() => restore(drill), endsAtMs - startedAtMs),
      };
      // A drill must not keep the process alive on shutdown.
      drill.timer.unref();
      running.set(routeId, drill);
      return view(drill);
    },

    async stop(routeId, actor = null) {
      routeOf(routeId);
      const drill = running.get(routeId);
      if (!drill) return false;
      restore(drill);
      await audit?.(actor, 'drill.stopped', routeId, null, { model: drill.model });
      return true;
    },

    list: () =>
      [...running.values()].map(view).sort((a, b) => (a.routeId < b.routeId ? -1 : a.routeId > b.routeId ? 1 : 0)),

    close() {
      closed = true;
      for (const drill of [...running.values()]) restore(drill);
    },
  };
}

import type { BreakerState } from '../contracts/decision.js';
import type { RouteSpec } from '../contracts/route.js';
import type { BreakEvent } from './events.js';
import type { BreakerSnapshot, BreakerStore, Clock } from './ports.js';

/** How a breaker decides to open and to recover. Every field is optional. */
export interface BreakerOptions {
  /** Consecutive health failures that open the breaker. Defaults to 5. */
  consecutiveFailures?: number;
  /** Failure ratio over the rolling window above which the breaker opens, from 0 to 1. Defaults to 0.02 (2%). */
  errorRateThreshold?: number;
  /** Requests the window must hold before the error-rate or latency rule may trip. Defaults to 50. */
  minRequests?: number;
  /** Length of the rolling window, in milliseconds. Defaults to 60 000. */
  windowMs?: number;
  /** Fixed time buckets the window is split into. Defaults to 6. */
  bucketCount?: number;
  /** Time an open breaker waits before letting a probe through, in milliseconds. Defaults to 30 000. */
  cooldownMs?: number;
  /** Probes allowed in flight at once while half-open. Defaults to 1. */
  halfOpenProbes?: number;
  /** Probe successes that close a half-open breaker. Defaults to 1. */
  successesToClose?: number;
}

/** What one call to a route came to. Failures that do not count for health (a 400 we caused) leave the window alone. */
export interface BreakerOutcome {
  ok: boolean;
  countsForHealth: boolean;
  latencyMs: number;
}

/** The rolling window of one route, for routing and dashboards. Latency quantiles are undefined on an empty window. */
export interface BreakerStats {
  state: BreakerState;
  requests: number;
  errorRate: number;
  p50LatencyMs: number | undefined;
  p95LatencyMs: number | undefined;
}

/** Per-route breakers over one store. */
export interface CircuitBreakers {
  /** Whether a call to the route may go out now; an open breaker moves to half-open once its cooldown has passed. */
  check(route: RouteSpec): Promise<{ allowed: boolean; state: BreakerState }>;
  /** Feeds the outcome of a call that `check` allowed. */
  record(route: RouteSpec, outcome: BreakerOutcome): Promise<void>;
  snapshot(routeId: string): Promise<BreakerSnapshot>;
  stats(routeId: string): Promise<BreakerStats>;
}

export interface CircuitBreakersInput {
  store: BreakerStore;
  clock: Clock;
  options?: BreakerOptions;
  /** Called after every state change has been stored. */
  onStateChange?: (event: BreakEvent) => void;
}

/**
 * Upper bounds of the latency histogram, in milliseconds: roughly log-spaced from 10 ms to 120 s, the range of LLM
 * calls. Each bucket's `latencyCounts` has one more slot, for latencies above the last bound.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  10, 20, 50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 45_000,
  60_000, 90_000, 120_000,
];

/**
 * The histogram slot a latency, in milliseconds, counts in: the first bound it does not exceed, else the overflow slot
 * past the last. Zero, negative and NaN latencies count in slot 0, so a bad measurement never reads as a slow call.
 */
export function latencySlot(latencyMs: number): number {
  if (!(latencyMs > 0)) return 0;
  const i = LATENCY_BOUNDS_MS.findIndex((bound) => latencyMs <= bound);
  return i === -1 ? LATENCY_BOUNDS_MS.length : i;
}

const SLOTS = LATENCY_BOUNDS_MS.length + 1;

type ResolvedOptions = Required<BreakerOptions>;
type Bucket = BreakerSnapshot['buckets'][number];
/** A state change to store and announce; `atMs` comes from the caller's clock. */
type Transition = Pick<BreakEvent, 'from' | 'to' | 'reason'>;

const DEFAULTS: ResolvedOptions = {
  consecutiveFailures: 5,
  errorRateThreshold: 0.02,
  minRequests: 50,
  windowMs: 60_000,
  bucketCount: 6,
  cooldownMs: 30_000,
  halfOpenProbes: 1,
  successesToClose: 1,
};

const NO_OPTIONS: BreakerOptions = Object.freeze({});
// Resolved once per options object (treated as immutable): these run twice per request, and spreading the defaults
// each time showed up in profiles.
const resolvedCache = new WeakMap<BreakerOptions, ResolvedOptions>();
function resolve(options: BreakerOptions): ResolvedOptions {
  let o = resolvedCache.get(options);
  if (!o) {
    o = { ...DEFAULTS, ...options };
    resolvedCache.set(options, o);
  }
  return o;
}

/** A closed breaker with an empty window. */
export function emptyBreakerSnapshot(): BreakerSnapshot {
  return {
    state: 'closed',
    openedAtMs: null,
    openReason: null,
    consecutiveFailures: 0,
    probesInFlight: 0,
    buckets: [],
  };
}

/** Drops buckets that have left the window ending at `nowMs` and keeps at most `bucketCount`. */
export function rotateBuckets(
  buckets: readonly Bucket[],
  nowMs: number,
  options: BreakerOptions = NO_OPTIONS,
): Bucket[] {
  const { windowMs, bucketCount } = resolve(options);
  const span = bucketMs(windowMs, bucketCount) * bucketCount;
  return buckets.filter((b) => b.startMs + span > nowMs).slice(-bucketCount);
}

/**
 * Estimates a quantile (0..1) from histogram counts over `LATENCY_BOUNDS_MS`, interpolating linearly inside the
 * bucket that holds the rank. Undefined when the histogram is empty; latencies past the last bound read as that bound.
 * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile
 */
export function estimateQuantile(counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let before = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && before + n >= rank) {
      const upper = LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      return lower + ((upper - lower) * Math.max(0, rank - before)) / n;
    }
    before += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

/** Pure `check`: the snapshot after asking to call the route at `nowMs`, whether the call may go, and any transition. */
export function applyCheck(
  snapshot: BreakerSnapshot,
  nowMs: number,
  options: BreakerOptions = NO_OPTIONS,
): { snapshot: BreakerSnapshot; allowed: boolean; transition?: Transition } {
  const o = resolve(options);
  if (snapshot.state === 'closed') return { snapshot, allowed: true };
  if (snapshot.state === 'open') {
    if (nowMs < (snapshot.openedAtMs ?? 0) + o.cooldownMs) return { snapshot, allowed: false };
    // The window restarts so that it tallies probe successes only (the snapshot has no other place for them).
    const next: BreakerSnapshot = { ...snapshot, state: 'half_open', probesInFlight: 0, buckets: [] };
    const allowed = o.halfOpenProbes > 0;
    return {
      snapshot: allowed ? { ...next, probesInFlight: 1 } : next,
      allowed,
      transition: { from: 'open', to: 'half_open', reason: 'cooldown_elapsed' },
    };
  }
  if (snapshot.probesInFlight >= o.halfOpenProbes) return { snapshot, allowed: false };
  return { snapshot: { ...snapshot, probesInFlight: snapshot.probesInFlight + 1 }, allowed: true };
}

/** Pure `record`: the snapshot after one outcome at `nowMs`, and the transition it caused, if any. */
export function applyRecord(
  snapshot: BreakerSnapshot,
  outcome: BreakerOutcome,
  nowMs: number,
  sloP95Ms: number | undefined,
  options: BreakerOptions = NO_OPTIONS,
): { snapshot: BreakerSnapshot; transition?: Transition } {
  const o = resolve(options);
  const counts = outcome.ok || outcome.countsForHealth;
  // A result that lands while open came from a call made before the breaker opened: it changes nothing.
  if (snapshot.state === 'open') return { snapshot };
  if (snapshot.state === 'half_open') return recordProbe(snapshot, outcome, counts, nowMs, o);
  if (!counts) return { snapshot };
  const next: BreakerSnapshot = {
    ...snapshot,
    consecutiveFailures: outcome.ok ? 0 : snapshot.consecutiveFailures + 1,
    buckets: addToWindow(snapshot.buckets, outcome, nowMs, o),
  };
  const reason = tripReason(next, sloP95Ms, o);
  if (!reason) return { snapshot: next };
  return {
    snapshot: { ...next, state: 'open', openedAtMs: nowMs, openReason: reason, probesInFlight: 0 },
    transition: { from: 'closed', to: 'open', reason },
  };
}

function recordProbe(
  snapshot: BreakerSnapshot,
  outcome: BreakerOutcome,
  counts: boolean,
  nowMs: number,
  o: ResolvedOptions,
): { snapshot: BreakerSnapshot; transition?: Transition } {
  const released = { ...snapshot, probesInFlight: Math.max(0, snapshot.probesInFlight - 1) };
  if (!counts) return { snapshot: released };
  if (!outcome.ok) {
    return {
      snapshot: {
        ...released,
        state: 'open',
        openedAtMs: nowMs,
        openReason: 'probe_failed',
        consecutiveFailures: snapshot.consecutiveFailures + 1,
        probesInFlight: 0,
      },
      transition: { from: 'half_open', to: 'open', reason: 'probe_failed' },
    };
  }
  const next = { ...released, buckets: addToWindow(released.buckets, outcome, nowMs, o) };
  if (windowTotals(next.buckets).successes < o.successesToClose) return { snapshot: next };
  return {
    snapshot: emptyBreakerSnapshot(),
    transition: { from: 'half_open', to: 'closed', reason: 'probe_succeeded' },
  };
}

function tripReason(snapshot: BreakerSnapshot, sloP95Ms: number | undefined, o: ResolvedOptions) {
  if (snapshot.consecutiveFailures >= o.consecutiveFailures) return 'consecutive_failures' as const;
  let successes = 0;
  let failures = 0;
  for (const b of snapshot.buckets) {
    successes += b.successes;
    failures += b.failures;
  }
  const requests = successes + failures;
  if (requests < o.minRequests) return null;
  if (failures / requests > o.errorRateThreshold) return 'error_rate' as const;
  if (sloP95Ms === undefined) return null;
  const p95 = estimateQuantile(windowTotals(snapshot.buckets).latencyCounts, 0.95);
  if (sloP95Ms !== undefined && p95 !== undefined && p95 > sloP95Ms) return 'latency' as const;
  return null;
}

function addToWindow(buckets: readonly Bucket[], outcome: BreakerOutcome, nowMs: number, o: ResolvedOptions): Bucket[] {
  const size = bucketMs(o.windowMs, o.bucketCount);
  const startMs = Math.floor(nowMs / size) * size;
  const rotated = rotateBuckets(buckets, nowMs, o);
  const last = rotated[rotated.length - 1];
  // Another process sharing the store may run a little ahead; its newest bucket is still "now" for us.
  const current = last && last.startMs >= startMs ? last : emptyBucket(startMs);
  const slot = latencySlot(outcome.latencyMs);
  // Copies at the current slot count, so a snapshot stored under other bounds cannot grow or break the histogram.
  const latencyCounts = new Array<number>(SLOTS);
  for (let i = 0; i < SLOTS; i++) latencyCounts[i] = current.latencyCounts[i] ?? 0;
  latencyCounts[slot]! += 1;
  const updated: Bucket = {
    startMs: current.startMs,
    successes: current.successes + (outcome.ok ? 1 : 0),
    failures: current.failures + (outcome.ok ? 0 : 1),
    latencyCounts,
  };
  const kept = current === last ? rotated.slice(0, -1) : rotated;
  return [...kept, updated].slice(-o.bucketCount);
}

function windowTotals(buckets: readonly Bucket[]) {
  const latencyCounts: number[] = new Array<number>(SLOTS).fill(0);
  let successes = 0;
  let failures = 0;
  for (const b of buckets) {
    successes += b.successes;
    failures += b.failures;
    for (let i = 0; i < latencyCounts.length; i++) latencyCounts[i]! += b.latencyCounts[i] ?? 0;
  }
  return { successes, failures, latencyCounts };
}

function emptyBucket(startMs: number): Bucket {
  return { startMs, successes: 0, failures: 0, latencyCounts: new Array<number>(SLOTS).fill(0) };
}

function bucketMs(windowMs: number, bucketCount: number): number {
  return Math.max(1, Math.floor(windowMs / Math.max(1, bucketCount)));
}

/**
 * Circuit breakers for every route, with state in `store` and time from `clock`.
 * Calls for one route are serialized in this process; several processes sharing a store may race on a transition.
 * @example const breakers = createCircuitBreakers({ store: createMemoryBreakerStore(), clock, onStateChange: emit });
 */
export function createCircuitBreakers({
  store,
  clock,
  options = {},
  onStateChange,
}: CircuitBreakersInput): CircuitBreakers {
  const tails = new Map<string, Promise<unknown>>();

  // Read-modify-write on the store spans awaits; without a per-route queue two checks could take one probe slot.
  const serialized = <T>(routeId: string, fn: () => Promise<T>): Promise<T> => {
    const run = (tails.get(routeId) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    tails.set(routeId, tail);
    void tail.then(() => {
      if (tails.get(routeId) === tail) tails.delete(routeId);
    });
    return run;
  };

  const load = async (routeId: string) => (await store.get(routeId)) ?? emptyBreakerSnapshot();

  const commit = async (
    routeId: string,
    current: BreakerSnapshot,
    next: BreakerSnapshot,
    transition: Transition | undefined,
    nowMs: number,
  ) => {
    await store.set(routeId, next, current);
    if (!transition || !onStateChange) return;
    try {
      onStateChange({ routeId, ...transition, atMs: nowMs });
    } catch {
      // A listener's failure must not fail the request that moved the breaker.
    }
  };

  return {
    check: (route) =>
      serialized(route.id, async () => {
        const current = await load(route.id);
        const nowMs = clock.now();
        const result = applyCheck(current, nowMs, options);
        if (result.snapshot !== current) await commit(route.id, current, result.snapshot, result.transition, nowMs);
        return { allowed: result.allowed, state: result.snapshot.state };
      }),
    record: (route, outcome) =>
      serialized(route.id, async () => {
        const current = await load(route.id);
        const nowMs = clock.now();
        const result = applyRecord(current, outcome, nowMs, route.sloP95Ms, options);
        if (result.snapshot !== current) await commit(route.id, current, result.snapshot, result.transition, nowMs);
      }),
    snapshot: async (routeId) => {
      const current = await load(routeId);
      return { ...current, buckets: rotateBuckets(current.buckets, clock.now(), options) };
    },
    stats: async (routeId) => {
      const current = await load(routeId);
      const { successes, failures, latencyCounts } = windowTotals(rotateBuckets(current.buckets, clock.now(), options));
      const requests = successes + failures;
      return {
        state: current.state,
        requests,
        errorRate: requests === 0 ? 0 : failures / requests,
        p50LatencyMs: estimateQuantile(latencyCounts, 0.5),
        p95LatencyMs: estimateQuantile(latencyCounts, 0.95),
      };
    },
  };
}

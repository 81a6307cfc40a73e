import type { RouteSpec } from '../contracts/route.js';
import {
  applyCheck,
  applyRecord,
  emptyBreakerSnapshot,
  type BreakerOptions,
  type BreakerOutcome,
} from './circuit-breaker.js';
import type { BreakerSnapshot } from './ports.js';

/** A replay's circuit breakers, one per route, all closed at the start of the window. */
export interface ReplayBreakers {
  /** Whether a call to the route may go out at `atMs` (takes the half-open probe slot, as the engine's check does). */
  check(routeId: string, atMs: number): boolean;
  /** Feeds the outcome of a call (or frees a probe slot with `countsForHealth: false`) at `atMs`. */
  record(route: RouteSpec, outcome: BreakerOutcome, atMs: number): void;
}

/**
 * The engine's breaker rules (`applyCheck`, `applyRecord`) over in-memory snapshots, on the replay's clock: the
 * replayed calls open, probe and close breakers as the real calls would have, one request after another.
 * @example const breakers = createReplayBreakers(); if (breakers.check('gpt-4o', t)) breakers.record(route, o, t + 90);
 */
export function createReplayBreakers(options: BreakerOptions = {}): ReplayBreakers {
  const snapshots = new Map<string, BreakerSnapshot>();
  const get = (routeId: string) => snapshots.get(routeId) ?? emptyBreakerSnapshot();
  return {
    check(routeId, atMs) {
      const result = applyCheck(get(routeId), atMs, options);
      snapshots.set(routeId, result.snapshot);
      return result.allowed;
    },
    record(route, outcome, atMs) {
      snapshots.set(route.id, applyRecord(get(route.id), outcome, atMs, route.sloP95Ms, options).snapshot);
    },
  };
}

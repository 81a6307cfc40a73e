import type { BreakerSnapshot, BreakerStore } from './ports.js';

/**
 * Breaker state for one process, kept in a Map. Snapshots are stored frozen: breaker transitions always build new
 * snapshots, so sharing them is safe and far cheaper than copying on every call (this sits on the request path).
 */
export function createMemoryBreakerStore(): BreakerStore {
  const snapshots = new Map<string, BreakerSnapshot>();
  return {
    async get(routeId) {
      return snapshots.get(routeId);
    },
    async set(routeId, snapshot) {
      snapshots.set(routeId, freeze(snapshot));
    },
  };
}

function freeze(snapshot: BreakerSnapshot): BreakerSnapshot {
  if (Object.isFrozen(snapshot)) return snapshot;
  // Buckets carried over from the previous snapshot are frozen already; only the new one needs it.
  for (const b of snapshot.buckets) {
    if (Object.isFrozen(b)) continue;
    Object.freeze(b.latencyCounts);
    Object.freeze(b);
  }
  Object.freeze(snapshot.buckets);
  return Object.freeze(snapshot);
}

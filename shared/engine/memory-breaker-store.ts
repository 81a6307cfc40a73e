import type { BreakerSnapshot, BreakerStore } from './ports.js';

/**
 * Breaker state for one process, kept in a Map. Snapshots are copied in and out, so a caller that mutates what it
 * passed or got back cannot change the stored state.
 */
export function createMemoryBreakerStore(): BreakerStore {
  const snapshots = new Map<string, BreakerSnapshot>();
  return {
    async get(routeId) {
      const stored = snapshots.get(routeId);
      return stored && structuredClone(stored);
    },
    async set(routeId, snapshot) {
      snapshots.set(routeId, structuredClone(snapshot));
    },
  };
}

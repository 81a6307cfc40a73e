import type { CompletionRequest } from '../contracts/completion.js';
import type { CachedAnswer, Clock, ResponseCache } from './ports.js';

export interface MemoryResponseCacheOptions {
  clock: Clock;
  /** Entries kept; the least recently used goes first. Defaults to 10 000. */
  maxEntries?: number;
  /** Age after which an entry is not served, in milliseconds. Defaults to 24 hours. */
  ttlMs?: number;
}

/** The exact-match key: same tenant, same conversation, same parameters and schema. */
export function cacheKey(tenantId: string, request: CompletionRequest): string {
  return JSON.stringify([tenantId, request.messages, request.params, request.responseSchema ?? null]);
}

/** An in-process LRU answer cache (one instance; a shared store replaces it for many). */
export function createMemoryResponseCache(options: MemoryResponseCacheOptions): ResponseCache {
  const max = options.maxEntries ?? 10_000;
  const ttl = options.ttlMs ?? 24 * 3_600_000;
  // A Map iterates in insertion order, so re-inserting on read makes the first key the least recently used.
  const entries = new Map<string, CachedAnswer>();
  return {
    async get(tenantId, request) {
      const key = cacheKey(tenantId, request);
      const hit = entries.get(key);
      if (!hit) return undefined;
      entries.delete(key);
      if (options.clock.now() - hit.storedAtMs > ttl) return undefined;
      entries.set(key, hit);
      return hit;
    },
    async set(tenantId, request, answer) {
      const key = cacheKey(tenantId, request);
      entries.delete(key);
      entries.set(key, answer);
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
  };
}

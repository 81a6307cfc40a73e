import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RedisConnections } from './redis.js';

// Larger than any per-minute limit: the limiter itself never refuses (see `take`).
const UNBOUNDED = 2 ** 31 - 1;

/** The answer to `take`: refused takes nothing and says how long until the window frees up. */
export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Fixed one-minute windows of points per counter and subject (`tenant:requests` / `acme`), shared by every instance
 * when Redis is configured. `limit` travels with each `take`, so a changed limit applies at once to the same count.
 */
export interface RateLimitCounters {
  /** Takes `points` when they fit under `limit` in the current window; a refusal takes nothing. */
  take(counter: string, id: string, points: number, limit: number): Promise<TakeResult>;
  /** Gives back points taken earlier in the window (a request refused by another limit). */
  give(counter: string, id: string, points: number): Promise<void>;
  /** Counts points after the fact, never refused (the output tokens of an answer). */
  add(counter: string, id: string, points: number): Promise<void>;
}

export interface RateLimitCountersOptions {
  /** Shared counters in Redis; without it, counters are per process. */
  redis?: RedisConnections | undefined;
  /** Length of a window, in seconds. Defaults to 60. */
  windowSeconds?: number;
  /** Neither Redis nor the local fallback answered (the request is let through). */
  onError?: (error: unknown) => void;
}

/**
 * Counters over rate-limiter-flexible: `RateLimiterRedis` on the command connection when Redis is configured, with
 * a `RateLimiterMemory` insurance limiter, so an unreachable Redis degrades to per-instance limits instead of
 * failing requests; `RateLimiterMemory` alone otherwise.
 * @example const counters = createRateLimitCounters({ redis }); await counters.take('tenant:requests', 'acme', 1, 60);
 */
export function createRateLimitCounters(options: RateLimitCountersOptions = {}): RateLimitCounters {
  const { redis } = options;
  const duration = options.windowSeconds ?? 60;
  const onError = options.onError ?? (() => undefined);
  const limiters = new Map<string, RateLimiterAbstract>();

  // One limiter per counter, which never refuses by itself: the caller's limit is compared with the count here, so
  // a changed limit applies at once to the same count (rate-limiter-flexible fixes `points` per limiter).
  const limiter = (counter: string) => {
    let found = limiters.get(counter);
    if (!found) {
      const keyPrefix = `${redis?.prefix ?? 'backstop:'}rl:${counter}`;
      const base = { keyPrefix, points: UNBOUNDED, duration };
      const memory = new RateLimiterMemory(base);
      found = redis
        ? new RateLimiterRedis({
            ...base,
            storeClient: redis.commands,
            rejectIfRedisNotReady: true,
            insuranceLimiter: memory,
          })
        : memory;
      limiters.set(counter, found);
    }
    return found;
  };

  return {
    async take(counter, id, points, limit) {
      if (points <= 0) return { ok: true };
      const l = limiter(counter);
      let res: RateLimiterRes;
      try {
        res = await l.consume(id, points);
      } catch (e) {
        // Neither Redis nor the local insurance answered: serving beats refusing everyone.
        onError(e);
        return { ok: true };
      }
      if (res.consumedPoints <= limit) return { ok: true };
      // The store counted the refused points: give them back so that a refusal costs nothing.
      await l.reward(id, points).catch(onError);
      return { ok: false, retryAfterMs: Math.max(1, res.msBeforeNext) };
    },
    async give(counter, id, points) {
      if (points > 0) await limiter(counter).reward(id, points).catch(onError);
    },
    async add(counter, id, points) {
      if (points > 0) await limiter(counter).penalty(id, points).catch(onError);
    },
  };
}

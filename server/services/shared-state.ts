import type { Logger } from 'pino';
import type { Database } from '../../drizzle/client.js';
import { createMemoryBreakerStore } from '../../shared/engine/memory-breaker-store.js';
import type { BreakerStore, Clock } from '../../shared/engine/ports.js';
import type { RateLimitsConfig } from '../config.js';
import { createFeatureFlags, type FeatureFlags } from './feature-flags.js';
import { createRateLimitCounters } from './rate-limit-counters.js';
import { createRateLimits, type RateLimits } from './rate-limits.js';
import { createReplicatedBreakerStore } from './redis-breaker-store.js';
import type { RedisConnections, RedisStatus } from './redis.js';
import type { TenantStore } from './tenant-store.js';

/** State several instances share through Redis when `REDIS_URL` is set, and keep in process otherwise. */
export interface SharedState {
  redis: RedisConnections | undefined;
  /** Breakers and the health window routing reads: replicated through Redis, else an in-process map. */
  breakerStore: BreakerStore;
  /** Per-minute limits by tenant, key and route, counted in Redis (local insurance counters during an outage). */
  rateLimits: RateLimits;
  /** Routes and tiers switched off or on: changes published on Redis, else read from the table every second. */
  featureFlags: FeatureFlags;
  /** `off` without Redis; `unreachable` while this instance runs on local state. */
  redisStatus(): RedisStatus | 'off';
  /** Stops replicating and listening (the connections are closed by their owner). */
  close(): void;
}

export interface SharedStateOptions {
  db: Database;
  rateLimits: RateLimitsConfig;
  clock: Clock;
  logger: Logger;
  /** Where feature flag changes are audited (the tenant store's audit log). */
  audit: TenantStore['audit'];
  redis?: RedisConnections | undefined;
  /** How long start-up waits for Redis before going on with local state, in milliseconds. Defaults to 2 000. */
  redisWaitMs?: number;
}

/**
 * Builds the shared ports: waits (bounded) for Redis, loads the stored breakers and the runtime rate limits.
 * Redis unreachable at start is not an error: the instance serves on local state and catches up on reconnect.
 */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const { redis, clock, logger } = options;
  if (redis) await redis.ready(options.redisWaitMs ?? 2_000);
  const onError = (what: string) => (e: unknown) => logger.debug({ err: e }, `${what} (Redis); local state applies`);
  const replicated =
    redis && createReplicatedBreakerStore({ redis, clock, onError: onError('breaker state not shared') });
  await replicated?.start();
  const rateLimits = createRateLimits({
    db: options.db,
    config: options.rateLimits,
    counters: createRateLimitCounters({ redis, onError: onError('rate limit not counted') }),
    clock,
    logger,
    redis,
  });
  await rateLimits.start();
  const featureFlags = createFeatureFlags({ db: options.db, clock, logger, audit: options.audit, redis });
  await featureFlags.start();
  return {
    redis,
    breakerStore: replicated ?? createMemoryBreakerStore(),
    rateLimits,
    featureFlags,
    redisStatus: () => redis?.status() ?? 'off',
    close() {
      replicated?.close();
      rateLimits.close();
      featureFlags.close();
    },
  };
}

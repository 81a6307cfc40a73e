import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSpec } from '../../shared/contracts/route.js';
import { DEFAULT_ROUTES } from '../../shared/engine/default-routes.js';
import { createRouteCatalog } from '../../shared/engine/policy-matrix.js';
import {
  applyRecord,
  createCircuitBreakers,
  emptyBreakerSnapshot,
  type BreakerOptions,
} from '../../shared/engine/circuit-breaker.js';
import { createMemoryBreakerStore } from '../../shared/engine/memory-breaker-store.js';
import type { BreakerStore } from '../../shared/engine/ports.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { createReplicatedBreakerStore } from '../../server/services/redis-breaker-store.js';
import type { RedisConnections } from '../../server/services/redis.js';
import { dropRedisPrefix, openTestRedis, redisAvailable, testRedisPrefix } from '../support/redis.js';

// One suite, every BreakerStore: the in-process map, and the Redis-replicated store when a Redis server answers.
interface Implementation {
  name: string;
  open(): Promise<{ create(): Promise<BreakerStore>; close(): Promise<void> }>;
}

const memory: Implementation = {
  name: 'memory',
  open: async () => ({ create: async () => createMemoryBreakerStore(), close: async () => undefined }),
};

const replicated: Implementation = {
  name: 'replicated (Redis)',
  async open() {
    const prefix = testRedisPrefix();
    const opened: { redis: RedisConnections; close(): void }[] = [];
    return {
      async create() {
        // Each store is its own "instance" on a fresh prefix, so tests do not see each other's routes.
        const redis = await openTestRedis(`${prefix}${opened.length}:`);
        const store = createReplicatedBreakerStore({ redis, clock: createFakeClock() });
        await store.start();
        opened.push({ redis, close: store.close });
        return store;
      },
      async close() {
        for (const o of opened) {
          o.close();
          await o.redis.close();
        }
        await dropRedisPrefix(prefix);
      },
    };
  },
};

const IMPLEMENTATIONS = [memory, ...((await redisAvailable()) ? [replicated] : [])];
const route = (id: string): RouteSpec => ({
  ...createRouteCatalog(DEFAULT_ROUTES).get('gpt-4o')!,
  id,
  sloP95Ms: 2_000,
});
const OPTIONS: BreakerOptions = { consecutiveFailures: 5, cooldownMs: 30_000, minRequests: 10 };

describe.each(IMPLEMENTATIONS)('BreakerStore contract: $name', (impl) => {
  let factory: Awaited<ReturnType<Implementation['open']>>;
  beforeAll(async () => {
    factory = await impl.open();
  });
  afterAll(async () => {
    await factory?.close();
  });

  const breakersOver = async () => {
    const clock = createFakeClock();
    const store = await factory.create();
    return { clock, store, breakers: createCircuitBreakers({ store, clock, options: OPTIONS }) };
  };

  it('has no snapshot for a route it has never seen', async () => {
    const store = await factory.create();
    expect(await store.get('never-seen')).toBeUndefined();
  });

  it('returns the snapshot that was set', async () => {
    const store = await factory.create();
    const empty = emptyBreakerSnapshot();
    const { snapshot } = applyRecord(empty, { ok: false, countsForHealth: true, latencyMs: 120 }, 1_000, undefined);
    await store.set('a', snapshot, empty);
    expect(await store.get('a')).toEqual(snapshot);
  });

  it('keeps routes apart', async () => {
    const store = await factory.create();
    const empty = emptyBreakerSnapshot();
    const { snapshot } = applyRecord(empty, { ok: true, countsForHealth: true, latencyMs: 80 }, 1_000, undefined);
    await store.set('a', snapshot, empty);
    expect(await store.get('b')).toBeUndefined();
  });

  it('opens a breaker over the store after 5 consecutive failures and reads it back open', async () => {
    const { breakers } = await breakersOver();
    const r = route('r-open');
    for (let i = 0; i < 5; i++) {
      await breakers.check(r);
      await breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 50 });
    }
    expect((await breakers.snapshot('r-open')).state).toBe('open');
    expect(await breakers.check(r)).toEqual({ allowed: false, state: 'open' });
  });

  it('lets one probe through after the cooldown and closes on its success', async () => {
    const { breakers, clock } = await breakersOver();
    const r = route('r-probe');
    for (let i = 0; i < 5; i++) await breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 50 });
    await clock.advance(30_000);
    expect(await breakers.check(r)).toEqual({ allowed: true, state: 'half_open' });
    expect((await breakers.check(r)).allowed).toBe(false);
    await breakers.record(r, { ok: true, countsForHealth: true, latencyMs: 40 });
    expect((await breakers.snapshot('r-probe')).state).toBe('closed');
  });

  it('keeps the rolling window: requests, error rate and p95 for routing', async () => {
    const { breakers } = await breakersOver();
    const r = route('r-window');
    for (let i = 0; i < 8; i++) await breakers.record(r, { ok: true, countsForHealth: true, latencyMs: 90 });
    await breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 900 });
    await breakers.record(r, { ok: false, countsForHealth: false, latencyMs: 5 });
    const stats = await breakers.stats('r-window');
    expect(stats).toMatchObject({ state: 'closed', requests: 9 });
    expect(stats.errorRate).toBeCloseTo(1 / 9);
    expect(stats.p95LatencyMs).toBeGreaterThan(100);
  });

  it('resets the failure streak on a success', async () => {
    const { breakers } = await breakersOver();
    const r = route('r-streak');
    for (let i = 0; i < 4; i++) await breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 50 });
    await breakers.record(r, { ok: true, countsForHealth: true, latencyMs: 50 });
    for (let i = 0; i < 4; i++) await breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 50 });
    expect((await breakers.snapshot('r-streak')).state).toBe('closed');
    expect((await breakers.snapshot('r-streak')).consecutiveFailures).toBe(4);
  });
});

import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { RouteSpec } from '../../../shared/contracts/route.js';
import { applyRecord, createCircuitBreakers, emptyBreakerSnapshot } from '../../../shared/engine/circuit-breaker.js';
import { DEFAULT_ROUTES } from '../../../shared/engine/default-routes.js';
import { createRouteCatalog } from '../../../shared/engine/policy-matrix.js';
import {
  createReplicatedBreakerStore,
  type ReplicatedBreakerStore,
} from '../../../server/services/redis-breaker-store.js';
import type { RedisConnections } from '../../../server/services/redis.js';
import { systemClock } from '../../../server/system-clock.js';
import { dropRedisPrefix, openTestRedis, redisAvailable, testRedisPrefix } from '../../support/redis.js';

// Two (or three) gateway "instances" on one Redis: each its own connections, store and breakers.
const prefix = testRedisPrefix();
const opened: { redis: RedisConnections; store: ReplicatedBreakerStore }[] = [];

async function instance() {
  const redis = await openTestRedis(prefix);
  const store = createReplicatedBreakerStore({ redis, clock: systemClock, flushEveryMs: 50 });
  await store.start();
  opened.push({ redis, store });
  const breakers = createCircuitBreakers({ store, clock: systemClock, options: { minRequests: 10 } });
  return { redis, store, breakers };
}

const route = (id: string): RouteSpec => ({ ...createRouteCatalog(DEFAULT_ROUTES).get('gpt-4o')!, id });
const within1s = { timeout: 1_000, interval: 10 };

describe.skipIf(!(await redisAvailable()))('breaker state shared through Redis', () => {
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      o.store.close();
      await o.redis.close();
    }
  });
  afterAll(() => dropRedisPrefix(prefix));

  it('opens the breaker on instance B within a second of an outage seen by instance A', async () => {
    const a = await instance();
    const b = await instance();
    const r = route('outage-route');
    for (let i = 0; i < 5; i++) await a.breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 30 });
    expect((await a.breakers.snapshot(r.id)).state).toBe('open');
    await vi.waitFor(
      async () => expect(await b.breakers.check(r)).toEqual({ allowed: false, state: 'open' }),
      within1s,
    );
  });

  it('adds up the health window of both instances for routing (requests, error rate, p95)', async () => {
    const a = await instance();
    const b = await instance();
    const r = route('window-route');
    for (let i = 0; i < 3; i++) await a.breakers.record(r, { ok: true, countsForHealth: true, latencyMs: 40 });
    for (let i = 0; i < 2; i++) await b.breakers.record(r, { ok: true, countsForHealth: true, latencyMs: 4_000 });
    for (const node of [a, b]) {
      await vi.waitFor(async () => {
        const stats = await node.breakers.stats(r.id);
        expect(stats.requests).toBe(5);
        expect(stats.errorRate).toBe(0);
        expect(stats.p95LatencyMs).toBeGreaterThan(3_000);
      }, within1s);
    }
  });

  it('loads every stored breaker when an instance starts', async () => {
    const a = await instance();
    const r = route('stored-route');
    for (let i = 0; i < 5; i++) await a.breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 30 });
    const late = await instance();
    expect((await late.store.get(r.id))?.state).toBe('open');
  });

  it('keeps the newer state when an instance writes from a state it has not yet seen change', async () => {
    const a = await instance();
    const b = await instance();
    const r = route('race-route');
    // B's breaker reads the route (nothing yet), then A opens it; B's write of its own call, computed from what it
    // read, must not close the breaker again.
    const seenByB = (await b.store.get(r.id)) ?? emptyBreakerSnapshot();
    for (let i = 0; i < 5; i++) await a.breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 30 });
    await vi.waitFor(async () => expect((await b.store.get(r.id))?.state).toBe('open'), within1s);
    const ok = { ok: true, countsForHealth: true, latencyMs: 30 };
    await b.store.set(r.id, applyRecord(seenByB, ok, Date.now(), undefined).snapshot, seenByB);
    expect((await b.store.get(r.id))?.state).toBe('open');
  });

  it('keeps serving from local state while Redis is unreachable', async () => {
    const a = await instance();
    const r = route('offline-route');
    await a.redis.close();
    for (let i = 0; i < 5; i++) await a.breakers.record(r, { ok: false, countsForHealth: true, latencyMs: 30 });
    expect((await a.breakers.check(r)).state).toBe('open');
  });
});

import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimitCounters, type RateLimitCounters } from '../../server/services/rate-limit-counters.js';
import { createRedisConnections, type RedisConnections } from '../../server/services/redis.js';
import { closedPort, dropRedisPrefix, openTestRedis, redisAvailable, testRedisPrefix } from '../support/redis.js';

// One suite, every counter store: in-process, and Redis (shared by instances) when a Redis server answers.
interface Implementation {
  name: string;
  shared: boolean;
  open(): Promise<{ create(): RateLimitCounters; close(): Promise<void> }>;
}

const memory: Implementation = {
  name: 'memory',
  shared: false,
  open: async () => ({ create: () => createRateLimitCounters(), close: async () => undefined }),
};

const redis: Implementation = {
  name: 'Redis',
  shared: true,
  async open() {
    const prefix = testRedisPrefix();
    const connections: RedisConnections[] = [await openTestRedis(prefix), await openTestRedis(prefix)];
    let n = 0;
    return {
      // Alternate connections: consecutive counters stand for different instances.
      create: () => createRateLimitCounters({ redis: connections[n++ % 2] }),
      async close() {
        await Promise.all(connections.map((c) => c.close()));
        await dropRedisPrefix(prefix);
      },
    };
  },
};

const IMPLEMENTATIONS = [memory, ...((await redisAvailable()) ? [redis] : [])];
const subject = () => `s-${randomUUID().slice(0, 8)}`;

describe.each(IMPLEMENTATIONS)('RateLimitCounters contract: $name', (impl) => {
  let factory: Awaited<ReturnType<Implementation['open']>>;
  beforeAll(async () => {
    factory = await impl.open();
  });
  afterAll(async () => {
    await factory?.close();
  });

  it('takes up to the limit, then refuses with the time until the minute frees up', async () => {
    const counters = factory.create();
    const id = subject();
    for (let i = 0; i < 5; i++) expect(await counters.take('tenant:requests', id, 1, 5)).toEqual({ ok: true });
    const refused = await counters.take('tenant:requests', id, 1, 5);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
  });

  it('takes nothing when it refuses, so a smaller take still fits', async () => {
    const counters = factory.create();
    const id = subject();
    expect((await counters.take('tenant:tokens', id, 90, 100)).ok).toBe(true);
    expect((await counters.take('tenant:tokens', id, 20, 100)).ok).toBe(false);
    expect((await counters.take('tenant:tokens', id, 10, 100)).ok).toBe(true);
    expect((await counters.take('tenant:tokens', id, 1, 100)).ok).toBe(false);
  });

  it('gives back points taken earlier', async () => {
    const counters = factory.create();
    const id = subject();
    await counters.take('key:requests', id, 2, 2);
    await counters.give('key:requests', id, 1);
    expect((await counters.take('key:requests', id, 1, 2)).ok).toBe(true);
    expect((await counters.take('key:requests', id, 1, 2)).ok).toBe(false);
  });

  it('counts points added after the fact (output tokens) against the next take', async () => {
    const counters = factory.create();
    const id = subject();
    expect((await counters.take('route:tokens', id, 30, 100)).ok).toBe(true);
    await counters.add('route:tokens', id, 60);
    expect((await counters.take('route:tokens', id, 20, 100)).ok).toBe(false);
    expect((await counters.take('route:tokens', id, 10, 100)).ok).toBe(true);
  });

  it('keeps subjects and counters apart', async () => {
    const counters = factory.create();
    const [a, b] = [subject(), subject()];
    await counters.take('tenant:requests', a, 1, 1);
    expect((await counters.take('tenant:requests', b, 1, 1)).ok).toBe(true);
    expect((await counters.take('key:requests', a, 1, 1)).ok).toBe(true);
    expect((await counters.take('tenant:requests', a, 1, 1)).ok).toBe(false);
  });

  it('applies a changed limit to the count already taken', async () => {
    const counters = factory.create();
    const id = subject();
    for (let i = 0; i < 3; i++) await counters.take('tenant:requests', id, 1, 10);
    expect((await counters.take('tenant:requests', id, 1, 3)).ok).toBe(false);
    expect((await counters.take('tenant:requests', id, 1, 4)).ok).toBe(true);
  });

  it.runIf(impl.shared)('shares one count between instances', async () => {
    const [a, b] = [factory.create(), factory.create()];
    const id = subject();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).take('t:r', id, 1, 5)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });
});

describe('RateLimitCounters with Redis unreachable', () => {
  let redisDown: RedisConnections;
  beforeAll(async () => {
    redisDown = createRedisConnections({
      url: `redis://127.0.0.1:${await closedPort()}`,
      logger: pino({ level: 'silent' }),
      maxRetryDelayMs: 1_000,
    });
    await redisDown.ready(1_000);
  });
  afterAll(() => redisDown.close());

  it('falls back to per-instance limits (the insurance limiter) instead of failing or letting everything through', async () => {
    const counters = createRateLimitCounters({ redis: redisDown });
    const id = subject();
    for (let i = 0; i < 3; i++) expect((await counters.take('tenant:requests', id, 1, 3)).ok).toBe(true);
    expect((await counters.take('tenant:requests', id, 1, 3)).ok).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../drizzle/client.js';
import type { TestBackstop } from '../../support/backstop.js';
import { TEST_REDIS_URL, dropRedisPrefix, redisAvailable, testRedisPrefix } from '../../support/redis.js';
import { chat, complete, countDecisions, startGateway } from './support.js';

// Two gateway instances sharing one database and one Redis, as behind a load balancer: rate limits and breakers.
describe.skipIf(!(await redisAvailable()))('two instances on one Redis and one database', () => {
  const prefix = testRedisPrefix();
  let database: DatabaseHandle;
  let a: TestBackstop;
  let b: TestBackstop;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    a = await startGateway({ database, redis: { url: TEST_REDIS_URL, prefix } });
    b = await startGateway({ database, redis: { url: TEST_REDIS_URL, prefix } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
    await dropRedisPrefix(prefix);
  });

  const setLimit = async (tenantId: string, requestsPerMinute: number) => {
    await a.services.tenants.ensureTenant(tenantId);
    const set = await a.gql(
      'mutation ($id: ID!, $rpm: Int) { setRateLimit(scope: tenant, id: $id, requestsPerMinute: $rpm) { id } }',
      { id: tenantId, rpm: requestsPerMinute },
    );
    expect(set.errors).toBeUndefined();
    // Set on A; B hears of it through Redis and reloads.
    await vi.waitFor(async () => {
      const list = await b.gql<{ rateLimits: { id: string; requestsPerMinute: number }[] }>(
        '{ rateLimits { id requestsPerMinute } }',
      );
      expect(list.data!.rateLimits).toContainEqual({ id: tenantId, requestsPerMinute });
    });
  };

  it('lets a tenant at 5 requests per minute through exactly 5 times across both, then refuses on each', async () => {
    await setLimit('acme', 5);
    const key = await a.key('tenant', 'acme');
    const decisions = [countDecisions(a), countDecisions(b)];
    const answered = [
      await chat(a, key),
      await complete(b, key),
      await complete(a, key),
      await chat(b, key),
      await chat(a, key),
    ];
    expect(answered.map((r) => ('status' in r ? r.status : (r.errors?.[0]?.extensions?.code ?? 200)))).toEqual([
      200, 200, 200, 200, 200,
    ]);

    const onA = await chat(a, key);
    expect(onA.status).toBe(429);
    expect(Number(onA.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await onA.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    const onB = await complete(b, key);
    expect(onB.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'tenant', limit: 5 });
    expect(onB.errors![0]!.extensions!.retryAfterMs).toBeGreaterThan(0);
    expect(decisions.map((d) => d.count()).reduce((x, y) => x + y)).toBe(5);
    decisions.forEach((d) => d.dispose());
  });

  it('shows on B’s routes { breaker } a breaker an outage opened on A, within a second', async () => {
    const route = a.services.config.routes.get('gemini-2.0-flash')!;
    for (let i = 0; i < 5; i++) {
      await a.services.engine.breakers.record(route, { ok: false, countsForHealth: true, latencyMs: 25 });
    }
    await vi.waitFor(
      async () => {
        const reply = await b.gql<{ route: { breaker: { state: string; requests: number } } }>(
          '{ route(id: "gemini-2.0-flash") { breaker { state requests } } }',
        );
        expect(reply.data!.route.breaker).toEqual({ state: 'open', requests: 5 });
      },
      { timeout: 1_000, interval: 20 },
    );
  });

  it('lets exactly the limit through a concurrent burst on both instances', async () => {
    await setLimit('globex', 4);
    const key = await a.key('tenant', 'globex');
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => chat(i % 2 ? a : b, key)));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(4);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(6);
  });
});

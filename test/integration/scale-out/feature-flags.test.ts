import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../drizzle/client.js';
import type { TestBackstop } from '../../support/backstop.js';
import { TEST_REDIS_URL, dropRedisPrefix, redisAvailable, testRedisPrefix } from '../../support/redis.js';
import { startGateway } from './support.js';

const SET_ROUTE = /* GraphQL */ `
  mutation ($routeId: ID!, $enabled: Boolean!) {
    setRouteEnabled(routeId: $routeId, enabled: $enabled, reason: "scale-out test") {
      id
    }
  }
`;
const SET_TIER = /* GraphQL */ `
  mutation ($enabled: Boolean!) {
    setTierEnabled(tier: 0, trafficClass: internal, enabled: $enabled, reason: "scale-out test") {
      id
    }
  }
`;

/** The flags an instance applies now (its in-memory snapshot, not a fresh read of the table). */
const flagsOn = async (tb: TestBackstop) =>
  (await tb.gql<{ featureFlags: { id: string; enabled: boolean }[] }>('{ featureFlags { id enabled } }')).data!
    .featureFlags;

/** Which route answered a completion of `trafficClass` on `tb`, and the skip reasons of its decision. */
async function answer(tb: TestBackstop, trafficClass: string) {
  const skips: (string | undefined)[] = [];
  const listener = tb.services.engine.events.onDecision((d) => skips.push(...d.attempts.map((a) => a.skipReason)));
  const reply = await tb.gql<{ complete: { routeId: string } }>(
    'mutation ($input: CompleteInput!) { complete(input: $input) { routeId } }',
    { input: { trafficClass, messages: [{ role: 'user', content: 'hello' }] } },
  );
  listener.dispose();
  expect(reply.errors).toBeUndefined();
  return { routeId: reply.data!.complete.routeId, skips };
}

const redisUp = await redisAvailable();

// A switch set on A reaches B within about a second: by Redis at once, else by B's reading the table every second.
describe.each([
  { shared: 'one database, no Redis', redis: false, withinMs: 1_500 },
  { shared: 'one database and one Redis', redis: true, withinMs: 1_000 },
])('feature flags across two instances on $shared', ({ redis, withinMs }) => {
  const skip = redis && !redisUp;
  const prefix = testRedisPrefix();
  let database: DatabaseHandle;
  let a: TestBackstop;
  let b: TestBackstop;
  beforeAll(async () => {
    if (skip) return;
    database = await openDatabase({ dataDir: 'memory://' });
    const options = { database, ...(redis && { redis: { url: TEST_REDIS_URL, prefix } }) };
    a = await startGateway(options);
    b = await startGateway(options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
    if (redis) await dropRedisPrefix(prefix);
  });

  it.skipIf(skip)('switches a route off and back on for both instances', async () => {
    expect((await a.gql(SET_ROUTE, { routeId: 'gpt-4o', enabled: false })).errors).toBeUndefined();
    expect((await answer(a, 'critical')).routeId).toBe('claude-sonnet-4');
    await vi.waitFor(async () => expect(await flagsOn(b)).toEqual([{ id: 'route:gpt-4o', enabled: false }]), {
      timeout: withinMs,
      interval: 20,
    });
    expect(await answer(b, 'critical')).toEqual({ routeId: 'claude-sonnet-4', skips: ['disabled', undefined] });

    expect((await b.gql(SET_ROUTE, { routeId: 'gpt-4o', enabled: true })).errors).toBeUndefined();
    await vi.waitFor(async () => expect(await flagsOn(a)).toEqual([{ id: 'route:gpt-4o', enabled: true }]), {
      timeout: withinMs,
      interval: 20,
    });
    expect((await answer(a, 'critical')).routeId).toBe('gpt-4o');
    expect((await answer(b, 'critical')).routeId).toBe('gpt-4o');
  });

  it.skipIf(skip)('switches a whole tier off for one class on both instances', async () => {
    expect((await a.gql(SET_TIER, { enabled: false })).errors).toBeUndefined();
    await vi.waitFor(async () => expect(await flagsOn(b)).toContainEqual({ id: 'tier:0:internal', enabled: false }), {
      timeout: withinMs,
      interval: 20,
    });
    expect(await answer(b, 'internal')).toEqual({ routeId: 'gemini-2.0-flash', skips: ['disabled', undefined] });
    expect((await answer(b, 'critical')).routeId).toBe('gpt-4o');
    expect((await a.gql(SET_TIER, { enabled: true })).errors).toBeUndefined();
  });
});

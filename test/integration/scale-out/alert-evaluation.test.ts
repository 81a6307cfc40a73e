import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AlertRuleSchema, type AlertEvent } from '../../../shared/contracts/alert.js';
import { RouteSpecSchema } from '../../../shared/contracts/route.js';
import type { BreakerSnapshot } from '../../../shared/engine/ports.js';
import { emptyBreakerSnapshot } from '../../../shared/engine/circuit-breaker.js';
import { defaultAlertRules } from '../../../shared/monitoring/default-rules.js';
import { createLiveAggregates } from '../../../shared/monitoring/live-aggregates.js';
import { createRedisAlertCoordinator, type AlertCoordinator } from '../../../server/monitoring/alert-leader.js';
import { createMonitoringPubSub } from '../../../server/monitoring/alert-pubsub.js';
import { createAlertService } from '../../../server/monitoring/alert-service.js';
import type { AlertStore } from '../../../server/monitoring/alert-store.js';
import { createRedisConnections, type RedisConnections } from '../../../server/services/redis.js';
import { systemClock } from '../../../server/system-clock.js';
import { closedPort, dropRedisPrefix, openTestRedis, redisAvailable, testRedisPrefix } from '../../support/redis.js';

// Alert evaluation across instances: one evaluator elected by a Redis lock, its state shared through Redis.
const breakerRule = AlertRuleSchema.parse(defaultAlertRules().find((r) => r.metric === 'breaker_open')!);
const gpt = RouteSpecSchema.parse({ id: 'gpt-4o', provider: 'openai', model: 'gpt-4o' });
const prefixes: string[] = [];
const connections: RedisConnections[] = [];
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  for (const prefix of prefixes) await dropRedisPrefix(prefix);
});
/** A key prefix for one test: its instances share the lock and the evaluator state, and nothing else. */
const freshPrefix = () => {
  prefixes.push(testRedisPrefix());
  return prefixes.at(-1)!;
};

/** One instance's alert service over a shared event log; `breaker` is the route's state as every instance reads it. */
async function instance(prefix: string, stored: AlertEvent[], breaker: { state: BreakerSnapshot['state'] }) {
  const redis = await openTestRedis(prefix);
  connections.push(redis);
  const coordinator = createRedisAlertCoordinator(redis, { lockTtlMs: 1_000 });
  let ticks = 0;
  const counted: AlertCoordinator = {
    ...coordinator,
    acquire: () => {
      ticks++;
      return coordinator.acquire();
    },
  };
  const store = {
    listRules: async () => [breakerRule],
    budgetTenants: async () => [],
    insertEvents: async (events: AlertEvent[]) => void stored.push(...events),
    ensureSeed: async () => 0,
  } as unknown as AlertStore;
  const service = createAlertService({
    store,
    live: createLiveAggregates({ clock: systemClock }),
    routes: new Map([[gpt.id, gpt]]),
    breakers: { snapshot: async () => ({ ...emptyBreakerSnapshot(), state: breaker.state }) },
    budgets: { snapshot: async () => undefined },
    pubsub: createMonitoringPubSub(),
    webhooks: { notify: () => undefined, pending: () => 0, idle: async () => true, stop: () => undefined },
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    evaluateEveryMs: 20,
    coordinator: counted,
  });
  return { service, ticks: () => ticks };
}

const states = (events: AlertEvent[]) => events.filter((e) => e.ruleId === breakerRule.id).map((e) => e.state);

describe.skipIf(!(await redisAvailable()))('alert evaluation across instances', () => {
  it('fires a breach seen by two instances once: only the lock holder evaluates', async () => {
    const stored: AlertEvent[] = [];
    const breaker = { state: 'open' as const };
    const prefix = freshPrefix();
    const [a, b] = [await instance(prefix, stored, breaker), await instance(prefix, stored, breaker)];
    a.service.start();
    b.service.start();
    await vi.waitFor(() => expect(Math.min(a.ticks(), b.ticks())).toBeGreaterThanOrEqual(5), { timeout: 5_000 });
    await Promise.all([a.service.stop(), b.service.stop()]);
    expect(states(stored)).toEqual(['fired']);
  });

  it('continues the episode on the other instance once the evaluator stops: resolved once, never fired twice', async () => {
    const stored: AlertEvent[] = [];
    const breaker: { state: BreakerSnapshot['state'] } = { state: 'open' };
    const prefix = freshPrefix();
    const a = await instance(prefix, stored, breaker);
    a.service.start();
    await vi.waitFor(() => expect(states(stored)).toEqual(['fired']), { timeout: 5_000 });
    await a.service.stop();
    breaker.state = 'closed';
    const b = await instance(prefix, stored, breaker);
    b.service.start();
    await vi.waitFor(() => expect(states(stored)).toEqual(['fired', 'resolved']), { timeout: 5_000 });
    await b.service.stop();
  });
});

describe('alert coordinator with Redis unreachable', () => {
  it('lets every instance evaluate on its own rather than none', async () => {
    const redis = createRedisConnections({
      url: `redis://127.0.0.1:${await closedPort()}`,
      logger: pino({ level: 'silent' }),
    });
    connections.push(redis);
    await redis.ready(1_000);
    const coordinator = createRedisAlertCoordinator(redis, { lockTtlMs: 1_000 });
    expect(await coordinator.acquire()).toBe(true);
    expect(await coordinator.load()).toBeUndefined();
  });
});

import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AlertEvent } from '../../../shared/contracts/alert.js';
import { createMonitoringPubSub, type MonitoringTopics } from '../../../server/monitoring/alert-pubsub.js';
import { createSharedEventTarget } from '../../../server/monitoring/shared-event-target.js';
import { createRedisConnections, type RedisConnections } from '../../../server/services/redis.js';
import { closedPort, dropRedisPrefix, openTestRedis, redisAvailable, testRedisPrefix } from '../../support/redis.js';

// The monitoring pub/sub (alerts, decisions, jobs) fanned out across instances through Redis.
const prefix = testRedisPrefix();
const connections: RedisConnections[] = [];
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await dropRedisPrefix(prefix);
});

const alert = (id: string): AlertEvent => ({
  id,
  ruleId: 'breaker-open',
  ruleName: 'Breaker open',
  tenantId: null,
  severity: 'critical',
  state: 'fired',
  metric: 'breaker_open',
  subject: 'route:gpt-4o',
  value: 1,
  threshold: 0,
  message: 'breaker open 1 > 0 on route:gpt-4o',
  atMs: Date.UTC(2026, 0, 1),
});

const pubsubOn = (redis: RedisConnections) => createMonitoringPubSub(createSharedEventTarget<MonitoringTopics>(redis));

/** Starts reading a topic and resolves once Redis has the subscription, so that nothing published after is missed. */
async function listen(redis: RedisConnections, subscribers: number) {
  const pubsub = pubsubOn(redis);
  const events = pubsub.subscribe('alert:fired');
  const first = events.next();
  await vi.waitFor(async () => {
    const [, n] = (await redis.commands.pubsub('NUMSUB', `${redis.prefix}alert:fired`)) as [string, number];
    expect(Number(n)).toBeGreaterThanOrEqual(subscribers);
  });
  return { pubsub, events, first };
}

describe.skipIf(!(await redisAvailable()))('monitoring pub/sub across instances', () => {
  it('delivers an alert published on instance A to a subscriber on instance B', async () => {
    const [a, b] = [await openTestRedis(prefix), await openTestRedis(prefix)];
    connections.push(a, b);
    const onB = await listen(b, 1);
    pubsubOn(a).publish('alert:fired', alert('from-a'));
    expect((await onB.first).value).toEqual(alert('from-a'));
    await onB.events.return?.();
  });

  it('delivers each event once to a subscriber on the publishing instance', async () => {
    const a = await openTestRedis(prefix);
    connections.push(a);
    const onA = await listen(a, 1);
    onA.pubsub.publish('alert:fired', alert('one'));
    onA.pubsub.publish('alert:fired', alert('two'));
    expect((await onA.first).value!.id).toBe('one');
    expect((await onA.events.next()).value!.id).toBe('two');
    await onA.events.return?.();
  });
});

describe('monitoring pub/sub with Redis unreachable', () => {
  it('still delivers to this instance’s own subscribers', async () => {
    const down = createRedisConnections({
      url: `redis://127.0.0.1:${await closedPort()}`,
      logger: pino({ level: 'silent' }),
    });
    connections.push(down);
    await down.ready(1_000);
    const pubsub = pubsubOn(down);
    const events = pubsub.subscribe('alert:fired');
    const first = events.next();
    pubsub.publish('alert:fired', alert('local'));
    expect((await first).value!.id).toBe('local');
    await events.return?.();
  });
});

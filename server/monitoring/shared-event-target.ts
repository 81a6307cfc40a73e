import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { PubSubEventTarget } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { RedisConnections } from '../services/redis.js';

type Listener = EventListenerOrEventListenerObject | null;

/**
 * An event target for yoga's `createPubSub` that fans events out to every instance through Redis (yoga's
 * `createRedisEventTarget` over the shared command and subscriber connections), with topics under the Redis prefix.
 * While Redis is unreachable, events are delivered in process instead, so this instance's own subscribers (the
 * console, webhook-less alerts) keep receiving them.
 * @example createMonitoringPubSub(createSharedEventTarget(redis, (e) => logger.debug({ err: e }, 'publish failed')))
 */
export function createSharedEventTarget<TTopics extends Record<string, [unknown]>>(
  redis: RedisConnections,
  onError: (error: unknown) => void = () => undefined,
): PubSubEventTarget<TTopics> {
  // yoga's target neither awaits nor catches the ioredis promises; a command failing during an outage would be an
  // unhandled rejection (fatal in Node). It calls only these methods, so narrow facades can catch for it.
  const publishClient = {
    publish: (channel: string, message: string) => redis.commands.publish(channel, message).catch(onError),
  };
  const subscribeClient = {
    on: (event: 'message', fn: (channel: string, message: string) => void) => redis.subscriber.on(event, fn),
    subscribe: (channel: string) => redis.subscriber.subscribe(channel).catch(onError),
    unsubscribe: (channel: string) => redis.subscriber.unsubscribe(channel).catch(onError),
  };
  const remote = createRedisEventTarget<CustomEvent>({
    publishClient: publishClient as unknown as Redis,
    subscribeClient: subscribeClient as unknown as Redis,
  });
  const local = new EventTarget();
  const channel = (topic: string) => `${redis.prefix}${topic}`;

  const target = {
    addEventListener(topic: string, listener: Listener) {
      local.addEventListener(topic, listener);
      remote.addEventListener(channel(topic), listener as never);
    },
    removeEventListener(topic: string, listener: Listener) {
      local.removeEventListener(topic, listener);
      remote.removeEventListener(channel(topic), listener as never);
    },
    dispatchEvent(event: CustomEvent) {
      // Subscribers here get Redis's copy back, so exactly one of the two paths may carry each event.
      if (redis.status() === 'ok')
        return remote.dispatchEvent(new CustomEvent(channel(event.type), { detail: event.detail }));
      return local.dispatchEvent(new CustomEvent(event.type, { detail: event.detail }));
    },
  };
  return target as unknown as PubSubEventTarget<TTopics>;
}

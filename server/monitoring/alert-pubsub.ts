import { createPubSub, type PubSubEventTarget } from 'graphql-yoga';
import type { AlertEvent } from '../../shared/contracts/alert.js';

/** Typed topics: `alert:fired` carries every transition, fired and resolved (see `AlertEvent.state`). */
// A type alias, not an interface: yoga's constraint needs the implicit index signature only aliases get.
export type MonitoringTopics = {
  'alert:fired': [event: AlertEvent];
};

/**
 * The pub/sub the alert service publishes to and GraphQL subscriptions read from. Small on purpose: a Redis-backed
 * implementation (yoga's `createRedisEventTarget` passed as `eventTarget`) can replace the in-process one.
 */
export interface MonitoringPubSub {
  publish<K extends keyof MonitoringTopics>(topic: K, ...payload: MonitoringTopics[K]): void;
  /** Events published after the call, until the iterator is returned (the client went away). */
  subscribe<K extends keyof MonitoringTopics>(topic: K): AsyncIterableIterator<MonitoringTopics[K][0]>;
}

/**
 * An in-process pub/sub over graphql-yoga's `createPubSub`; pass an `eventTarget` to share it between processes.
 * @example const pubsub = createMonitoringPubSub(); pubsub.publish('alert:fired', event);
 */
export function createMonitoringPubSub(eventTarget?: PubSubEventTarget<MonitoringTopics>): MonitoringPubSub {
  const pubsub = createPubSub<MonitoringTopics>(eventTarget ? { eventTarget } : {});
  return {
    publish: (topic, ...payload) => pubsub.publish(topic, ...payload),
    subscribe: (topic) => pubsub.subscribe(topic as 'alert:fired'),
  };
}

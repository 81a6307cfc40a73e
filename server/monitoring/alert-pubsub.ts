import { createPubSub, type PubSubEventTarget } from 'graphql-yoga';
import type { AlertEvent } from '../../shared/contracts/alert.js';
import type { JobView } from '../services/job-store.js';
import type { DecisionEvent } from './decision-feed.js';

/**
 * Typed topics: `alert:fired` carries every transition, fired and resolved (see `AlertEvent.state`);
 * `decision:recorded` a summary of every decision the engine records, for the live console.
 */
// A type alias, not an interface: yoga's constraint needs the implicit index signature only aliases get.
export type MonitoringTopics = {
  'alert:fired': [event: AlertEvent];
  'decision:recorded': [event: DecisionEvent];
  /** Every change of a deferred job (queued again, running, done, failed, in review, answered). */
  'job:updated': [event: JobView];
};

/**
 * The pub/sub the alert service and the decision feed publish to, and GraphQL subscriptions read from. Small on purpose: a Redis-backed
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
    // yoga's conditional signature cannot be resolved for a generic key; every topic here has exactly one payload.
    subscribe: <K extends keyof MonitoringTopics>(topic: K) =>
      pubsub.subscribe(topic as 'alert:fired') as AsyncIterableIterator<MonitoringTopics[K][0]>,
  };
}

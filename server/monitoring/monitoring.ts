import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../drizzle/client.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import type { FallbackEngine } from '../../shared/engine/fallback-engine.js';
import type { BudgetStore, Clock, ProviderResolver } from '../../shared/engine/ports.js';
import { createLiveAggregates, type LiveAggregates } from '../../shared/monitoring/live-aggregates.js';
import type { RedisConnections } from '../services/redis.js';
import { createRedisAlertCoordinator } from './alert-leader.js';
import { createMonitoringPubSub, type MonitoringPubSub, type MonitoringTopics } from './alert-pubsub.js';
import { createAlertService, type AlertService } from './alert-service.js';
import { createAlertStore, type AlertStore } from './alert-store.js';
import { toDecisionEvent } from './decision-feed.js';
import { createPrometheusMetrics, type PrometheusMetrics } from './prometheus.js';
import { watchRedisReachability } from './redis-alert.js';
import { createSharedEventTarget } from './shared-event-target.js';
import { createSyntheticChecks, type SyntheticChecks } from './synthetic-checks.js';
import { createWebhookNotifier, type WebhookNotifier, type WebhookOptions } from './webhooks.js';

/** Monitoring settings; every field is optional. */
export interface MonitoringOptions {
  /** Time between alert evaluations, in milliseconds. Defaults to 15 000. */
  evaluateEveryMs?: number;
  /** Time between synthetic-check rounds, in milliseconds (jittered ±10%). Defaults to 60 000. */
  syntheticEveryMs?: number;
  /** Time one synthetic probe may take, in milliseconds. Defaults to 10 000. */
  syntheticTimeoutMs?: number;
  /** Run synthetic checks when `start()` is called. Defaults to true. */
  synthetic?: boolean;
  /** Alert webhook URLs (env `BACKSTOP_ALERT_WEBHOOKS`). Defaults to none. */
  webhooks?: readonly string[];
  /** Webhook retry and timeout settings, for tests and tuning. */
  webhookDelivery?: Omit<WebhookOptions, 'urls' | 'logger'>;
  /** Export Node process metrics on /metrics too. Defaults to false. */
  processMetrics?: boolean;
  /** Width of a live-aggregate bucket, in milliseconds. Defaults to 10 000. */
  bucketMs?: number;
}

export interface MonitoringDeps {
  db: Database;
  engine: FallbackEngine;
  routes: ReadonlyMap<string, RouteSpec>;
  providers: ProviderResolver;
  budgets: Pick<BudgetStore, 'snapshot'>;
  bufferDepth: () => number;
  clock: Clock;
  logger: Logger;
  /**
   * Shared state across instances: the pub/sub fans out through Redis, one instance (elected by a Redis lock)
   * evaluates the alert rules, and losing Redis raises an alert. Without it, all of that is per process.
   */
  redis?: RedisConnections | undefined;
}

/** Everything monitoring holds: live aggregates, Prometheus metrics, alerts and synthetic checks. */
export interface Monitoring {
  live: LiveAggregates;
  prometheus: PrometheusMetrics;
  alertStore: AlertStore;
  alerts: AlertService;
  synthetic: SyntheticChecks;
  pubsub: MonitoringPubSub;
  webhooks: WebhookNotifier;
  /** Starts the alert loop and (unless disabled) the synthetic checks. Nothing runs on a timer before this. */
  start(): void;
  /** Stops every timer, aborts probes, drops pending webhooks and detaches from the engine. Final. */
  stop(): Promise<void>;
}

/**
 * Wires monitoring around the engine: listeners are attached at once (metrics and aggregates count from the first
 * request), timers only on `start()`, so tests and tools that never start it get no background work.
 * @example const monitoring = createMonitoring(deps, { webhooks: env.BACKSTOP_ALERT_WEBHOOKS }); monitoring.start();
 */
export function createMonitoring(deps: MonitoringDeps, options: MonitoringOptions = {}): Monitoring {
  const { engine, routes, clock, logger } = deps;
  const live = createLiveAggregates({ clock, ...(options.bucketMs !== undefined && { bucketMs: options.bucketMs }) });
  const { redis } = deps;
  const pubsub = createMonitoringPubSub(
    redis &&
      createSharedEventTarget<MonitoringTopics>(redis, (e) =>
        logger.debug({ err: e }, 'shared pub/sub command failed'),
      ),
  );
  const onDecision = engine.events.onDecision((d) => {
    live.recordDecision(d);
    // The console's live feed: a summary built from the decision in hand, no database read per event.
    pubsub.publish('decision:recorded', toDecisionEvent(d));
  });
  const prometheus = createPrometheusMetrics({
    events: engine.events,
    routes,
    breakers: engine.breakers,
    bufferDepth: deps.bufferDepth,
    processMetrics: options.processMetrics ?? false,
  });
  const alertStore = createAlertStore(deps.db);
  const webhooks = createWebhookNotifier({ ...options.webhookDelivery, urls: options.webhooks ?? [], logger });
  const alerts = createAlertService({
    store: alertStore,
    live,
    routes,
    breakers: engine.breakers,
    budgets: deps.budgets,
    pubsub,
    webhooks,
    clock,
    logger,
    ...(options.evaluateEveryMs !== undefined && { evaluateEveryMs: options.evaluateEveryMs }),
    ...(redis && {
      // The lock outlives two missed renewals, so a slow evaluation does not hand it over mid-pass.
      coordinator: createRedisAlertCoordinator(redis, {
        lockTtlMs: 2 * (options.evaluateEveryMs ?? 15_000) + 5_000,
        onError: (e) => logger.debug({ err: e }, 'alert coordination command failed'),
      }),
      redisStatus: () => redis.status(),
    }),
  });
  const synthetic = createSyntheticChecks({
    routes,
    providers: deps.providers,
    breakers: engine.breakers,
    live,
    clock,
    logger,
    ...(options.syntheticEveryMs !== undefined && { everyMs: options.syntheticEveryMs }),
    ...(options.syntheticTimeoutMs !== undefined && { timeoutMs: options.syntheticTimeoutMs }),
  });

  let stopRedisWatch: (() => void) | undefined;

  return {
    live,
    prometheus,
    alertStore,
    alerts,
    synthetic,
    pubsub,
    webhooks,
    start() {
      if (stopRedisWatch) return;
      alerts.start();
      if (options.synthetic !== false) synthetic.start();
      stopRedisWatch = redis
        ? watchRedisReachability({
            redis,
            alerts,
            clock,
            newId: randomUUID,
            onError: (e) => logger.error({ err: e }, 'Redis alert not announced'),
          })
        : () => undefined;
    },
    async stop() {
      stopRedisWatch?.();
      await Promise.all([alerts.stop(), synthetic.stop()]);
      onDecision.dispose();
      prometheus.dispose();
    },
  };
}

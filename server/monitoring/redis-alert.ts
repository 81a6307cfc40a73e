import type { AlertEvent } from '../../shared/contracts/alert.js';
import type { Clock } from '../../shared/engine/ports.js';
import type { RedisConnections, RedisStatus } from '../services/redis.js';
import type { AlertService } from './alert-service.js';

/** The rule id of the gateway-wide "Redis unreachable" events (no stored rule: they come from the connection). */
export const REDIS_ALERT_RULE_ID = 'redis_unreachable';

/**
 * Announces a critical gateway-wide alert when this instance loses Redis ("Redis unreachable: running on local
 * state"), and resolves it when Redis answers again. Per instance (subject `instance:<id>`), at once rather than at
 * the next rule evaluation, and through the local pub/sub when Redis is the thing that is down.
 * @example const stop = watchRedisReachability({ redis, alerts, clock, newId: randomUUID });
 */
export function watchRedisReachability(deps: {
  redis: RedisConnections;
  alerts: Pick<AlertService, 'announce'>;
  clock: Clock;
  newId: () => string;
  onError?: (error: unknown) => void;
}): () => void {
  const { redis, clock } = deps;
  let firing = false;

  const event = (state: AlertEvent['state']): AlertEvent => ({
    id: deps.newId(),
    ruleId: REDIS_ALERT_RULE_ID,
    ruleName: 'Redis unreachable',
    tenantId: null,
    severity: 'critical',
    state,
    metric: 'redis_unreachable',
    subject: `instance:${redis.instanceId}`,
    value: state === 'fired' ? 1 : 0,
    threshold: 0,
    message:
      state === 'fired'
        ? `Redis unreachable: running on local state (${redis.safeUrl}); breakers, rate limits and live events are per instance until it returns`
        : `Redis reachable again: shared state restored (${redis.safeUrl})`,
    atMs: clock.now(),
  });

  const onStatus = (status: RedisStatus) => {
    if ((status === 'unreachable') === firing) return;
    firing = status === 'unreachable';
    deps.alerts.announce([event(firing ? 'fired' : 'resolved')]).catch(deps.onError ?? (() => undefined));
  };

  if (redis.status() === 'unreachable') onStatus('unreachable');
  return redis.onStatusChange(onStatus);
}

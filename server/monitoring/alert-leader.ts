import type { AlertEvaluatorState } from '../../shared/monitoring/alert-evaluator.js';
import type { RedisConnections } from '../services/redis.js';

/**
 * Who evaluates the alert rules, and where the evaluator's memory (which rule fires for what) lives, when several
 * instances run. Without one, each instance evaluates on its own.
 */
export interface AlertCoordinator {
  /** The shared evaluator state, or undefined when there is none yet or it cannot be read. */
  load(): Promise<AlertEvaluatorState | undefined>;
  /** Takes or renews the evaluator lock; true when this instance should evaluate now. */
  acquire(): Promise<boolean>;
  save(state: AlertEvaluatorState): Promise<void>;
  /** Gives the lock up (on shutdown), so another instance takes over at its next tick. */
  release(): Promise<void>;
}

// Take the lock when free, renew it when ours: one round trip, atomic.
const ACQUIRE = `local holder = redis.call('get', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

/**
 * One evaluator across instances: a Redis lock (`SET ... PX`, renewed at every evaluation) elects the instance that
 * evaluates; its evaluator state is stored in Redis after each pass and loaded by every instance before one, so a
 * new leader continues the same episodes (no second `fired`, and the `resolved` still comes). While Redis is
 * unreachable every instance evaluates on its own: duplicate alerts beat silent ones.
 * @example createAlertService({ ..., coordinator: createRedisAlertCoordinator(redis, { lockTtlMs: 35_000 }) })
 */
export function createRedisAlertCoordinator(
  redis: RedisConnections,
  options: { lockTtlMs: number; onError?: (error: unknown) => void },
): AlertCoordinator {
  const lockKey = `${redis.prefix}alerts:evaluator`;
  const stateKey = `${redis.prefix}alerts:state`;
  const onError = options.onError ?? (() => undefined);
  const up = () => redis.status() === 'ok';

  return {
    async load() {
      if (!up()) return undefined;
      try {
        const raw = await redis.commands.get(stateKey);
        if (!raw) return undefined;
        const state = JSON.parse(raw) as AlertEvaluatorState;
        return state.version === 1 && Array.isArray(state.episodes) ? state : undefined;
      } catch (e) {
        onError(e);
        return undefined;
      }
    },
    async acquire() {
      if (!up()) return true;
      try {
        const held = await redis.commands.eval(ACQUIRE, 1, lockKey, redis.instanceId, options.lockTtlMs);
        return held === 1;
      } catch (e) {
        onError(e);
        return true;
      }
    },
    async save(state) {
      if (!up()) return;
      await redis.commands.set(stateKey, JSON.stringify(state)).catch(onError);
    },
    async release() {
      if (!up()) return;
      await redis.commands.eval(RELEASE, 1, lockKey, redis.instanceId).catch(onError);
    },
  };
}

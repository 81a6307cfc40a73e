import type { Logger } from 'pino';
import type { Clock } from '../../shared/engine/ports.js';
import type { RedisConnections } from './redis.js';

export interface CanarySyncOptions {
  clock: Clock;
  logger: Logger;
  /** Reads the table into the in-memory snapshot. */
  load(): Promise<void>;
  redis?: RedisConnections | undefined;
  /** Time between two reads while no Redis carries changes, in milliseconds. Defaults to 1 000. */
  pollEveryMs?: number;
  /** Time between two reads while Redis is up, a safety net for a lost message, in milliseconds. Defaults to 10 000. */
  pollWithRedisEveryMs?: number;
}

const CHANNEL = 'canaries';

/**
 * Keeps the running canaries of every instance in step, as feature flags are: a change is applied here at once and
 * published on Redis (`<prefix>canaries`), on which the other instances read the table again; without Redis every
 * instance reads it every second. A failed read keeps the last snapshot (logged once per outage).
 */
export function createCanarySync(options: CanarySyncOptions) {
  const { clock, logger, redis } = options;
  const pollEveryMs = options.pollEveryMs ?? 1_000;
  const pollWithRedisEveryMs = options.pollWithRedisEveryMs ?? 10_000;
  let failing = false;
  let closed = false;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let cancelPoll: (() => void) | undefined;
  const stops: (() => void)[] = [];

  const load = async () => {
    try {
      await options.load();
      if (failing) logger.info('canaries read again');
      failing = false;
    } catch (e) {
      if (!failing && !closed) logger.warn({ err: e }, 'canaries not read; keeping the last ones');
      failing = true;
    }
  };

  /** Reads the table; resolves after a read that began after the call. Never rejects. */
  const reload = (): Promise<void> => {
    if (!running) {
      running = load().finally(() => {
        running = undefined;
      });
      return running;
    }
    // The read under way may have begun before the change this call was told of: read once more after it.
    queued ??= running.then(() => {
      queued = undefined;
      return reload();
    });
    return queued;
  };

  const schedule = () => {
    cancelPoll?.();
    if (closed) return;
    const ms = redis?.status() === 'ok' ? pollWithRedisEveryMs : pollEveryMs;
    cancelPoll = clock.setTimeout(() => void reload().then(schedule), ms);
  };

  return {
    reload,

    /** After a write on this instance: read it back here, then tell the others. */
    async changed(): Promise<void> {
      await reload();
      if (redis?.status() === 'ok') {
        redis.commands.publish(`${redis.prefix}${CHANNEL}`, redis.instanceId).catch(() => undefined);
      }
    },

    /** Loads the canaries, listens for changes made elsewhere and starts polling. */
    async start(): Promise<void> {
      if (redis) {
        stops.push(
          redis.subscribe(CHANNEL, (from) => {
            if (from !== redis.instanceId) void reload();
          }),
          redis.onStatusChange((status) => {
            if (status === 'ok') void reload();
            schedule();
          }),
        );
      }
      await reload();
      schedule();
    },

    /** Stops polling and listening. */
    close(): void {
      closed = true;
      cancelPoll?.();
      stops.forEach((stop) => stop());
    },
  };
}

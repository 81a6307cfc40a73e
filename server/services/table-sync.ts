import type { Logger } from 'pino';
import type { Clock } from '../../shared/engine/ports.js';
import type { RedisConnections } from './redis.js';

export interface TableSyncOptions {
  /** What is kept in step, for the log lines ('feature flags', 'canaries', 'shadow routes'). */
  what: string;
  /** The Redis channel (under the connection's prefix) a change is announced on. */
  channel: string;
  clock: Clock;
  logger: Logger;
  /** Reads the table into the caller's in-memory snapshot; a throw keeps the last snapshot. */
  load(): Promise<void>;
  redis?: RedisConnections | undefined;
  /** Time between two reads while no Redis carries changes, in milliseconds. Defaults to 1 000. */
  pollEveryMs?: number;
  /** Time between two reads while Redis is up, a safety net for a lost message, in milliseconds. Defaults to 10 000. */
  pollWithRedisEveryMs?: number;
}

/** Keeps an in-memory snapshot of one table in step on every instance. */
export interface TableSync {
  /** Reads the table; resolves after a read that began after the call. Never rejects. */
  reload(): Promise<void>;
  /** Resolves once the read under way, if any, is over (so that it cannot overwrite what the caller applies next). */
  settled(): Promise<void>;
  /** Tells the other instances to read the table now (a no-op without Redis: they poll). */
  announce(): void;
  /** After a write on this instance: reads it back here, then announces it. */
  changed(): Promise<void>;
  /** Listens for announcements, reads the table once and starts polling. */
  start(): Promise<void>;
  /** Stops polling and listening. */
  close(): void;
}

/**
 * The change propagation that feature flags, canaries and shadow routes share: a change is applied on the instance
 * that made it and announced on Redis, on which the other instances read the table again; without Redis (or while it
 * is unreachable) every instance reads the table every second, so a change reaches all of them within about a second.
 * Messages sent while Redis was away are lost, so its return triggers a read. A failed read keeps the last snapshot and
 * is logged once per outage, not once a second.
 * @example
 * const sync = createTableSync({ what: 'canaries', channel: 'canaries', clock, logger, redis, load });
 * await sync.start(); ...; await sync.changed();
 */
export function createTableSync(options: TableSyncOptions): TableSync {
  const { clock, logger, redis, what, channel } = options;
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
      if (failing) logger.info(`${what} read again`);
      failing = false;
    } catch (e) {
      if (!failing && !closed) logger.warn({ err: e }, `${what} not read; keeping the last ones`);
      failing = true;
    }
  };

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

  const announce = () => {
    if (redis?.status() === 'ok') {
      redis.commands.publish(`${redis.prefix}${channel}`, redis.instanceId).catch(() => undefined);
    }
  };

  return {
    reload,
    settled: async () => {
      await running;
    },
    announce,
    async changed() {
      await reload();
      announce();
    },
    async start() {
      // Listen before the first read, so that a change made in between is not missed until the next poll.
      if (redis) {
        stops.push(
          redis.subscribe(channel, (from) => {
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
    close() {
      closed = true;
      cancelPoll?.();
      stops.forEach((stop) => stop());
    },
  };
}

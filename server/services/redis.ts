import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as ioredis from 'ioredis';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

// ioredis (a CommonJS package) is loaded on the first connection, not with the module: a gateway without REDIS_URL
// never needs it, and importing it cost ~7 MB of RSS (59 -> 52 MB for the gateway's packages alone, measured).
const require = createRequire(import.meta.url);
const loadRedis = (): typeof Redis => (require('ioredis') as typeof ioredis).Redis;

/** `ok` while both connections are ready; `unreachable` otherwise (the instance then runs on local state). */
export type RedisStatus = 'ok' | 'unreachable';

export interface RedisConnectionsOptions {
  /** `redis://[user:password@]host:port[/db]` (env `REDIS_URL`). */
  url: string;
  logger: Logger;
  /** Prepended to every key and channel, so that deployments (or test files) can share one server. Defaults to `backstop:`. */
  prefix?: string;
  /** Longest wait between two reconnection attempts, in milliseconds. Defaults to 5 000. */
  maxRetryDelayMs?: number;
  /** Time one connection attempt may take, in milliseconds. Defaults to 2 000. */
  connectTimeoutMs?: number;
}

/** The two connections every shared port uses: one for commands, one in subscriber mode. */
export interface RedisConnections {
  /** Commands (hashes, rate-limit scripts, locks, PUBLISH). Fails fast while disconnected: no offline queue. */
  readonly commands: Redis;
  /** The subscriber connection: in pub/sub mode it can run nothing else. */
  readonly subscriber: Redis;
  /** Prepended to every key and channel, e.g. `backstop:`. */
  readonly prefix: string;
  /** This process in messages and locks: random per start. */
  readonly instanceId: string;
  /** The URL without credentials, for logs and /readyz. */
  readonly safeUrl: string;
  status(): RedisStatus;
  /** Called on every change of `status()`, after it has been logged once. Returns the unsubscribe function. */
  onStatusChange(listener: (status: RedisStatus) => void): () => void;
  /** Delivers messages of `channel` (the prefix is added) over the one subscriber connection. Returns the unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): () => void;
  /** Resolves with the status once both connections are ready, or after `timeoutMs`; never rejects. */
  ready(timeoutMs: number): Promise<RedisStatus>;
  /** Closes both connections; nothing is logged or reported after this. */
  close(): Promise<void>;
}

/** `redis://user:secret@host:6379/0` -> `redis://host:6379/0`: a password must never reach a log line. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'redis://(invalid url)';
  }
}

/**
 * Opens the command and subscriber connections for `REDIS_URL`. Reconnection is endless but bounded in pace (a
 * capped backoff), ioredis errors never reach the console, and each change of reachability is logged once.
 * @example const redis = createRedisConnections({ url: env.REDIS_URL, logger }); await redis.ready(2_000);
 */
export function createRedisConnections(options: RedisConnectionsOptions): RedisConnections {
  const { logger } = options;
  const prefix = options.prefix ?? 'backstop:';
  const safeUrl = redactRedisUrl(options.url);
  const maxDelay = options.maxRetryDelayMs ?? 5_000;
  const base = {
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 10), maxDelay),
  };
  const RedisClient = loadRedis();
  // Commands fail at once while disconnected, so callers fall back to local state instead of queueing behind an
  // outage (rate-limiter-flexible's insurance limiter relies on it).
  const commands = new RedisClient(options.url, { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  // A SUBSCRIBE issued while disconnected waits for the connection; ioredis re-subscribes after a reconnect.
  const subscriber = new RedisClient(options.url, { ...base, maxRetriesPerRequest: null });

  const instanceId = randomUUID();
  let status: RedisStatus | undefined;
  let lastError: string | undefined;
  let closed = false;
  const listeners = new Set<(s: RedisStatus) => void>();
  const handlers = new Map<string, Set<(message: string) => void>>();

  const update = () => {
    if (closed) return;
    const next: RedisStatus = commands.status === 'ready' && subscriber.status === 'ready' ? 'ok' : 'unreachable';
    // Until a first connection or failure, nothing is known: say nothing.
    if (next === status || (status === undefined && next === 'unreachable' && !lastError)) return;
    const first = status === undefined;
    status = next;
    if (next === 'ok') {
      logger.info({ redis: safeUrl, instance: instanceId }, first ? 'Redis connected' : 'Redis reachable again');
    } else {
      logger.warn({ redis: safeUrl, error: lastError }, 'Redis unreachable: running on local state');
    }
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (e) {
        logger.error({ err: e }, 'Redis status listener failed');
      }
    }
  };
  const onStatusChange = (listener: (s: RedisStatus) => void) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };
  for (const connection of [commands, subscriber]) {
    // A listener must exist, or ioredis prints every failed reconnection attempt to the console.
    connection.on('error', (e: Error) => {
      lastError = e.message;
      update();
    });
    for (const event of ['ready', 'close', 'end', 'reconnecting']) connection.on(event, update);
  }
  subscriber.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (e) {
        logger.error({ err: e, channel }, 'Redis message handler failed');
      }
    }
  });

  return {
    commands,
    subscriber,
    prefix,
    instanceId,
    safeUrl,
    status: () => status ?? 'unreachable',
    onStatusChange,
    subscribe(channel, handler) {
      const full = prefix + channel;
      let set = handlers.get(full);
      if (!set) {
        set = new Set();
        handlers.set(full, set);
        subscriber.subscribe(full).catch((e: unknown) => logger.debug({ err: e, channel: full }, 'subscribe failed'));
      }
      set.add(handler);
      return () => {
        set.delete(handler);
        if (set.size > 0 || handlers.get(full) !== set) return;
        handlers.delete(full);
        if (!closed) subscriber.unsubscribe(full).catch(() => undefined);
      };
    },
    ready(timeoutMs) {
      if (status === 'ok') return Promise.resolve('ok');
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          off();
          // Past the wait with no answer at all: an unreachable server that has not even refused yet.
          lastError ??= `no connection within ${timeoutMs} ms`;
          update();
          resolve(status ?? 'unreachable');
        }, timeoutMs);
        const off = onStatusChange((s) => {
          if (s !== 'ok') return;
          clearTimeout(timer);
          off();
          resolve('ok');
        });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      handlers.clear();
      await Promise.all(
        [commands, subscriber].map(async (c) => {
          // QUIT waits for replies in flight; a connection that is down has nothing to wait for.
          if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
          else c.disconnect();
        }),
      );
    },
  };
}

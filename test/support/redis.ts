import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import {
  createRedisConnections,
  type RedisConnections,
  type RedisConnectionsOptions,
} from '../../server/services/redis.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** Where the Redis suites connect; each suite works under a key prefix of its own. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let reachable: Promise<boolean> | undefined;

/** Whether a Redis server answers. CI sets BACKSTOP_REQUIRE_REDIS=1 so that a missing server fails instead. */
export function redisAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new Redis(TEST_REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 1_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return true;
    } catch (e) {
      if (process.env.BACKSTOP_REQUIRE_REDIS === '1')
        throw new Error(`Redis required but unreachable at ${TEST_REDIS_URL}: ${String(e)}`, { cause: e });
      return false;
    } finally {
      client.disconnect();
    }
  })();
  return reachable;
}

/** A key prefix no other test uses, so parallel files never see each other's keys or channels. */
export function testRedisPrefix(): string {
  return `backstop-test:${randomUUID().slice(0, 8)}:`;
}

/** Connections to the test server under `prefix`, ready; fails when they cannot connect. */
export async function openTestRedis(
  prefix: string,
  options: Partial<RedisConnectionsOptions> = {},
): Promise<RedisConnections> {
  const redis = createRedisConnections({
    url: TEST_REDIS_URL,
    logger: pino({ level: 'silent' }),
    prefix,
    maxRetryDelayMs: 200,
    ...options,
  });
  if ((await redis.ready(5_000)) !== 'ok') throw new Error(`no Redis at ${options.url ?? TEST_REDIS_URL}`);
  return redis;
}

/** Deletes every key under `prefix`; nothing to do when no Redis answers. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  if (!(await redisAvailable())) return;
  const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback TCP proxy to the test Redis that a test can cut and restore, like a network outage. */
export interface RedisProxy extends TcpProxy {
  url: string;
}

export async function startRedisProxy(): Promise<RedisProxy> {
  const target = new URL(TEST_REDIS_URL);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  return { ...proxy, url: `redis://127.0.0.1:${proxy.port}` };
}

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestBackstop } from '../../support/backstop.js';
import {
  closedPort,
  dropRedisPrefix,
  redisAvailable,
  startRedisProxy,
  testRedisPrefix,
  type RedisProxy,
} from '../../support/redis.js';
import { chat, startGateway } from './support.js';

// A gateway whose Redis is away keeps serving on local state, says so on /readyz and raises an alert.
const monitoring = { start: true, synthetic: false, evaluateEveryMs: 3_600_000 };
const within = { timeout: 5_000, interval: 20 };

type Event = { ruleId: string; state: string; severity: string; subject: string; message: string };
const redisEvents = async (tb: TestBackstop) => {
  const reply = await tb.gql<{ alertEvents: Event[] }>(
    '{ alertEvents(first: 20) { ruleId state severity subject message } }',
  );
  return reply.data!.alertEvents.filter((e) => e.ruleId === 'redis_unreachable').reverse();
};
const readyz = async (tb: TestBackstop) => {
  const res = await tb.fetch('/readyz', { key: null });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('a gateway whose Redis is unreachable from the start', () => {
  let tb: TestBackstop;
  beforeAll(async () => {
    tb = await startGateway({
      redis: { url: `redis://127.0.0.1:${await closedPort()}`, waitMs: 500, maxRetryDelayMs: 1_000 },
      monitoring,
    });
  });
  afterAll(() => tb.close());

  it('reports redis unreachable and degraded on /readyz, still ready (200)', async () => {
    expect(await readyz(tb)).toMatchObject({ status: 200, body: { ok: true, redis: 'unreachable', degraded: true } });
  });

  it('keeps answering requests on local state', async () => {
    const key = await tb.key('tenant', 'acme');
    for (let i = 0; i < 3; i++) expect((await chat(tb, key)).status).toBe(200);
  });

  it('raises a critical gateway-wide alert saying it runs on local state', async () => {
    await vi.waitFor(async () => {
      expect(await redisEvents(tb)).toEqual([
        expect.objectContaining({
          state: 'fired',
          severity: 'critical',
          subject: expect.stringMatching(/^instance:/),
          message: expect.stringContaining('Redis unreachable: running on local state'),
        }),
      ]);
    }, within);
  });
});

describe('a gateway without REDIS_URL', () => {
  let tb: TestBackstop;
  beforeAll(async () => {
    tb = await startGateway();
  });
  afterAll(() => tb.close());

  it('reports redis off and not degraded', async () => {
    expect(await readyz(tb)).toMatchObject({ status: 200, body: { redis: 'off', degraded: false } });
  });
});

describe.skipIf(!(await redisAvailable()))('a gateway that loses Redis and gets it back', () => {
  const prefix = testRedisPrefix();
  let proxy: RedisProxy;
  let tb: TestBackstop;
  beforeAll(async () => {
    proxy = await startRedisProxy();
    tb = await startGateway({ redis: { url: proxy.url, prefix, maxRetryDelayMs: 100 }, monitoring });
  });
  afterAll(async () => {
    await tb?.close();
    await proxy?.close();
    await dropRedisPrefix(prefix);
  });

  it('goes degraded, keeps serving and alerts when Redis drops, then recovers and resolves the alert', async () => {
    expect((await readyz(tb)).body).toMatchObject({ redis: 'ok', degraded: false });
    await proxy.cut();
    await vi.waitFor(async () => expect((await readyz(tb)).body).toMatchObject({ redis: 'unreachable' }), within);
    const key = await tb.key('tenant', 'acme');
    expect((await chat(tb, key)).status).toBe(200);
    await vi.waitFor(async () => expect((await redisEvents(tb)).map((e) => e.state)).toEqual(['fired']), within);

    await proxy.restore();
    await vi.waitFor(async () => expect((await readyz(tb)).body).toMatchObject({ redis: 'ok' }), within);
    await vi.waitFor(async () => {
      const events = await redisEvents(tb);
      expect(events.map((e) => e.state)).toEqual(['fired', 'resolved']);
      expect(events[1]!.message).toContain('Redis reachable again');
    }, within);
  });
});

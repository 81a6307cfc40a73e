import { randomUUID } from 'node:crypto';
import { asc } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Database, DatabaseHandle } from '../../drizzle/client.js';
import { auditLog, featureFlags } from '../../drizzle/schema/index.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import { DEFAULT_ROUTES } from '../../shared/engine/default-routes.js';
import { createFakeClock, type FakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { dropRedisPrefix, openTestRedis, redisAvailable, testRedisPrefix } from '../../test/support/redis.js';
import { createFeatureFlags, type FeatureFlags, type FeatureFlagsOptions } from './feature-flags.js';
import { createTenantStore, type Principal } from './tenant-store.js';

const route = (id: string) => DEFAULT_ROUTES.find((r) => r.id === id) as RouteSpec;
const admin: Principal = { keyId: randomUUID(), role: 'admin', tenantId: null };
const silent = pino({ level: 'silent' });
const withRedis = await redisAvailable();

describe.each(await testDatabases())('feature flags ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  const started: FeatureFlags[] = [];
  beforeAll(async () => {
    handle = await open();
  }, 60_000);
  beforeEach(async () => {
    started.splice(0).forEach((f) => f.close());
    await handle.db.delete(featureFlags);
    await handle.db.delete(auditLog);
  });
  afterAll(async () => {
    started.forEach((f) => f.close());
    await handle?.close();
  });

  /** One instance's flags on the shared table, polling on `clock`. */
  const start = async (clock: FakeClock, extra: Partial<FeatureFlagsOptions> = {}) => {
    const flags = createFeatureFlags({
      db: handle.db,
      clock,
      logger: silent,
      audit: createTenantStore(handle.db, clock.now).audit,
      ...extra,
    });
    await flags.start();
    started.push(flags);
    return flags;
  };
  const audits = () =>
    handle.db
      .select({
        action: auditLog.action,
        target: auditLog.target,
        actor: auditLog.actorKeyId,
        details: auditLog.details,
      })
      .from(auditLog)
      .orderBy(asc(auditLog.createdAt));

  it('has every route on until a flag says otherwise', async () => {
    const flags = await start(createFakeClock());
    expect(flags.list()).toEqual([]);
    expect(flags.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(true);
  });

  it('switches a route off on this instance at once, storing who and why, and audits it', async () => {
    const clock = createFakeClock();
    const flags = await start(clock);
    const flag = await flags.set(admin, { scope: 'route', routeId: 'gpt-4o' }, false, 'provider incident');
    expect(flag).toEqual({
      id: 'route:gpt-4o',
      scope: 'route',
      routeId: 'gpt-4o',
      tier: null,
      trafficClass: null,
      enabled: false,
      reason: 'provider incident',
      updatedBy: admin.keyId,
      updatedAt: new Date(clock.now()),
    });
    expect(flags.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(false);
    expect(flags.routeSwitch.isEnabled(route('claude-sonnet-4'), 1, 'critical')).toBe(true);
    expect(flags.list()).toEqual([flag]);
    expect(await audits()).toEqual([
      {
        action: 'feature_flag.disabled',
        target: 'route:gpt-4o',
        actor: admin.keyId,
        details: JSON.stringify({ reason: 'provider incident' }),
      },
    ]);
  });

  it('keeps a flag switched back on with its new reason, and audits both changes', async () => {
    const flags = await start(createFakeClock());
    await flags.set(admin, { scope: 'route', routeId: 'gpt-4o' }, false, 'incident');
    const on = await flags.set(admin, { scope: 'route', routeId: 'gpt-4o' }, true, 'resolved');
    expect(on).toMatchObject({ id: 'route:gpt-4o', enabled: true, reason: 'resolved' });
    expect(flags.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(true);
    expect(await handle.db.select().from(featureFlags)).toHaveLength(1);
    expect((await audits()).map((a) => a.action)).toEqual(['feature_flag.disabled', 'feature_flag.enabled']);
  });

  it('switches a tier off for every class, and lets a flag of one class win over it', async () => {
    const flags = await start(createFakeClock());
    await flags.set(admin, { scope: 'tier', tier: 1, trafficClass: null }, false, 'fallbacks paused');
    await flags.set(admin, { scope: 'tier', tier: 1, trafficClass: 'critical' }, true, 'critical keeps its fallback');
    expect(flags.routeSwitch.isEnabled(route('gpt-4.1-mini'), 1, 'non_critical')).toBe(false);
    expect(flags.routeSwitch.isEnabled(route('claude-sonnet-4'), 1, 'critical')).toBe(true);
    expect(flags.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(true);
    expect(flags.list().map((f) => f.id)).toEqual(['tier:1', 'tier:1:critical']);
    expect((await audits()).map((a) => a.target)).toEqual(['tier:1', 'tier:1:critical']);
  });

  it('lists route flags before tier flags', async () => {
    const flags = await start(createFakeClock());
    await flags.set(admin, { scope: 'tier', tier: 0, trafficClass: 'batch' }, false, 'x');
    await flags.set(admin, { scope: 'route', routeId: 'gpt-4o' }, false, 'y');
    expect(flags.list().map((f) => f.id)).toEqual(['route:gpt-4o', 'tier:0:batch']);
  });

  it('reaches an instance without Redis at its next read of the table, one second on', async () => {
    const clock = createFakeClock();
    const a = await start(clock);
    const b = await start(clock);
    await a.set(admin, { scope: 'route', routeId: 'gpt-4o' }, false, 'incident');
    await clock.advance(999);
    expect(b.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(true);
    await clock.advance(1);
    await vi.waitFor(() => expect(b.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(false), {
      timeout: 1_000,
      interval: 5,
    });
    expect(b.list()).toEqual(a.list());
  });

  it('keeps the last flags while the table cannot be read, warns once, and catches up after', async () => {
    const clock = createFakeClock();
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let down = false;
    // Reads fail while `down`; everything else goes to the real database.
    const flaky = new Proxy(handle.db, {
      get: (target, prop, receiver) =>
        prop === 'select' && down
          ? () => ({ from: () => Promise.reject(new Error('database unreachable')) })
          : Reflect.get(target, prop, receiver),
    }) as Database;
    const a = await start(clock);
    await a.set(admin, { scope: 'route', routeId: 'gpt-4o' }, false, 'incident');
    const b = await start(clock, { db: flaky, logger });
    expect(b.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(false);

    down = true;
    await a.set(admin, { scope: 'route', routeId: 'gpt-4o' }, true, 'resolved');
    for (let i = 0; i < 3; i++) await clock.advance(1_000);
    await vi.waitFor(() => expect(lines.map((l) => l.msg)).toContain('feature flags not read; keeping the last ones'));
    expect(b.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(false);
    expect(lines.filter((l) => l.msg.startsWith('feature flags not read'))).toHaveLength(1);

    down = false;
    await clock.advance(1_000);
    await vi.waitFor(() => expect(b.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(true), {
      timeout: 1_000,
      interval: 5,
    });
    expect(lines.map((l) => l.msg)).toContain('feature flags read again');
  });

  it('stops reading the table once closed', async () => {
    const clock = createFakeClock();
    const flags = await start(clock);
    expect(clock.pending()).toBe(1);
    flags.close();
    expect(clock.pending()).toBe(0);
  });

  describe.skipIf(!withRedis)('with Redis', () => {
    const prefix = testRedisPrefix();
    afterAll(() => dropRedisPrefix(prefix));

    it('reaches the other instance at once through a Redis message, long before its next read', async () => {
      const [ra, rb] = await Promise.all([openTestRedis(prefix), openTestRedis(prefix)]);
      try {
        const clock = createFakeClock();
        const a = await start(clock, { redis: ra });
        const b = await start(clock, { redis: rb });
        await a.set(admin, { scope: 'tier', tier: 0, trafficClass: 'critical' }, false, 'incident');
        // The fake clock stands still: no poll can run, only the message can carry the change.
        await vi.waitFor(() => expect(b.routeSwitch.isEnabled(route('gpt-4o'), 0, 'critical')).toBe(false), {
          timeout: 1_000,
          interval: 5,
        });
        expect(b.routeSwitch.isEnabled(route('gpt-4.1-nano'), 0, 'internal')).toBe(true);
      } finally {
        started.splice(0).forEach((f) => f.close());
        await Promise.all([ra.close(), rb.close()]);
      }
    });
  });
});

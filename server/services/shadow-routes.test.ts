import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { shadowHolds, shadowRoutes } from '../../drizzle/schema/index.js';
import { StartShadowInputSchema } from '../../shared/contracts/shadow.js';
import { DEFAULT_ROUTES } from '../../shared/engine/default-routes.js';
import { createRouteCatalog } from '../../shared/engine/policy-matrix.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { createShadowRoutes, STALE_SHADOW_HOLD_MS } from './shadow-routes.js';
import { createTenantStore, type Principal } from './tenant-store.js';

const admin: Principal = { keyId: randomUUID(), role: 'admin', tenantId: null };

describe.each(await testDatabases())('shadow routes ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
  }, 60_000);
  afterAll(() => handle?.close());

  it('gives back, on its own, the budget held by a mirrored call whose process died', async () => {
    const clock = createFakeClock();
    const shadows = createShadowRoutes({
      db: handle.db,
      clock,
      logger: pino({ level: 'silent' }),
      audit: createTenantStore(handle.db, clock.now).audit,
      routes: createRouteCatalog(DEFAULT_ROUTES),
      providers: () => {
        throw new Error('no call is expected');
      },
      inner: { record: () => undefined },
      sweepEveryMs: 10_000,
    });
    await shadows.load();
    try {
      const input = StartShadowInputSchema.parse({ routeId: 'gpt-4.1', sampleRate: 1, budgetUsd: 1 });
      const shadow = await shadows.startShadow(admin, input);
      // What a process that died mid-call leaves behind: its hold, and the amount it holds on the shadow.
      await handle.db
        .insert(shadowHolds)
        .values({ id: `dead:${shadow.id}`, shadowId: shadow.id, estUsd: 0.25, createdAt: new Date(clock.now()) });
      await handle.db.update(shadowRoutes).set({ reservedUsd: 0.25 }).where(eq(shadowRoutes.id, shadow.id));
      const reserved = async () =>
        (await handle.db.select().from(shadowRoutes).where(eq(shadowRoutes.id, shadow.id)))[0]!.reservedUsd;

      await clock.advance(STALE_SHADOW_HOLD_MS - 10_000);
      expect(await reserved()).toBeCloseTo(0.25, 9); // could still be a live call
      // Past the cutoff, a sweep runs within sweepEveryMs; it runs in the background, so time moves a second at a
      // time, with a real pause for its transaction (bounded).
      for (let i = 0; i < 200 && (await reserved()) > 0; i++) {
        await clock.advance(1_000);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await reserved()).toBeCloseTo(0, 9);
      expect(await handle.db.select().from(shadowHolds).where(eq(shadowHolds.shadowId, shadow.id))).toEqual([]);
    } finally {
      await shadows.close();
    }
  });
});

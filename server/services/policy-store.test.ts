import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { auditLog, policyVersions, tenants } from '../../drizzle/schema/index.js';
import type { Policy } from '../../shared/contracts/policy.js';
import { DEFAULT_ROUTES } from '../../shared/engine/default-routes.js';
import { createDefaultPolicy } from '../../shared/engine/policy-matrix.js';
import { createFakeClock, type FakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { createPolicyStore, GLOBAL_SCOPE, type PolicyStore } from './policy-store.js';
import { createTenantStore, type Principal } from './tenant-store.js';

const admin: Principal = { keyId: randomUUID(), role: 'admin', tenantId: null };
const silent = pino({ level: 'silent' });
const { policy: seed, routes } = createDefaultPolicy(DEFAULT_ROUTES);

/** The seed policy with another primary for critical traffic. */
const withPrimary = (primary: string): Policy => {
  const doc = structuredClone(seed);
  doc.classes.critical.tiers[0] = { ...doc.classes.critical.tiers[0]!, routes: [primary] } as never;
  return doc;
};
const primaryOf = (p: Policy) => (p.classes.critical.tiers[0] as { routes: string[] }).routes[0];

describe.each(await testDatabases())('policy store across instances ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  const stores: PolicyStore[] = [];
  beforeAll(async () => {
    handle = await open();
  }, 60_000);
  beforeEach(async () => {
    stores.splice(0).forEach((s) => s.close());
    for (const table of [policyVersions, auditLog, tenants]) await handle.db.delete(table);
  });
  afterAll(async () => {
    stores.forEach((s) => s.close());
    await handle?.close();
  });

  /** One instance: its own cache over the shared table, following changes by polling (no Redis). */
  const instance = async (clock: FakeClock) => {
    const store = createPolicyStore(handle.db, routes, createTenantStore(handle.db, clock.now), seed, {
      clock,
      logger: silent,
    });
    await store.ensureSeed();
    await store.start();
    stores.push(store);
    return store;
  };

  it('serves another instance’s publish and rollback from its next read of the table, one second on', async () => {
    const clock = createFakeClock();
    const [a, b] = [await instance(clock), await instance(clock)];
    expect(primaryOf(await b.livePolicy('acme'))).toBe('gpt-4o');

    await a.publish(admin, GLOBAL_SCOPE, withPrimary('claude-sonnet-4'));
    expect(primaryOf(await a.livePolicy('acme'))).toBe('claude-sonnet-4');
    expect(primaryOf(await b.livePolicy('acme'))).toBe('gpt-4o');
    await clock.advance(1_000);
    await vi.waitFor(async () => expect(primaryOf(await b.livePolicy('acme'))).toBe('claude-sonnet-4'));

    await a.rollback(admin, GLOBAL_SCOPE, 1);
    await clock.advance(1_000);
    await vi.waitFor(async () => expect((await b.livePolicy('acme')).version).toBe(1));
    expect(primaryOf(await b.livePolicy('acme'))).toBe('gpt-4o');
  });

  it('keeps its cached policy across reads of the table while nothing changed', async () => {
    const clock = createFakeClock();
    const b = await instance(clock);
    const cached = await b.livePolicy('acme');
    await clock.advance(1_000);
    await b.refresh();
    expect(await b.livePolicy('acme')).toBe(cached);
  });
});

import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { auditLog, canaries, decisions, policyVersions, tenants } from '../../drizzle/schema/index.js';
import type { AlertEvent } from '../../shared/contracts/alert.js';
import { StartCanaryInputSchema, type StartCanaryInput } from '../../shared/contracts/canary.js';
import { CompletionRequestSchema } from '../../shared/contracts/completion.js';
import type { Decision } from '../../shared/contracts/decision.js';
import type { Policy } from '../../shared/contracts/policy.js';
import { DEFAULT_ROUTES } from '../../shared/engine/default-routes.js';
import { isBackstopError } from '../../shared/engine/errors.js';
import { createDefaultPolicy } from '../../shared/engine/policy-matrix.js';
import { createFakeClock, type FakeClock } from '../../shared/testing/fake-clock.js';
import { testDatabases } from '../../test/support/databases.js';
import { createCanaryGuard } from './canary-guard.js';
import { createCanaryService, type CanaryService } from './canary-service.js';
import { createPolicyStore, GLOBAL_SCOPE } from './policy-store.js';
import { createTenantStore, type Principal } from './tenant-store.js';

const admin: Principal = { keyId: randomUUID(), role: 'admin', tenantId: null };
const silent = pino({ level: 'silent' });
const { policy: seed, routes } = createDefaultPolicy(DEFAULT_ROUTES);

/** The seed policy with another primary for critical traffic. */
const candidateDoc = (primary = 'claude-sonnet-4'): Record<string, unknown> => {
  const doc = structuredClone(seed) as Policy;
  doc.classes.critical!.tiers[0] = { ...doc.classes.critical!.tiers[0]!, routes: [primary] } as never;
  return doc as never;
};
const input = (extra: Partial<Record<keyof StartCanaryInput, unknown>> = {}): StartCanaryInput =>
  StartCanaryInputSchema.parse({ scope: GLOBAL_SCOPE, percent: 50, document: candidateDoc(), ...extra });
const request = (userId?: string) =>
  CompletionRequestSchema.parse({ messages: [{ role: 'user', content: 'hi' }], trafficClass: 'critical', userId });
const codeOf = (e: unknown) =>
  isBackstopError(e) ? e.code : (e as { extensions?: { code?: string } }).extensions?.code;

describe.each(await testDatabases())('canary service ($name)', ({ open }) => {
  let handle: DatabaseHandle;
  const started: CanaryService[] = [];
  beforeAll(async () => {
    handle = await open();
  }, 60_000);
  beforeEach(async () => {
    started.splice(0).forEach((c) => c.close());
    for (const table of [decisions, canaries, policyVersions, auditLog, tenants]) await handle.db.delete(table);
  });
  afterAll(async () => {
    started.forEach((c) => c.close());
    await handle?.close();
  });

  /** One instance: its own policy cache and canary snapshot over the shared tables. */
  const instance = async (clock: FakeClock = createFakeClock()) => {
    const tenantStore = createTenantStore(handle.db, clock.now);
    const policies = createPolicyStore(handle.db, routes, tenantStore, seed);
    await policies.ensureSeed();
    const service = createCanaryService({ db: handle.db, clock, logger: silent, policies, audit: tenantStore.audit });
    await service.start();
    started.push(service);
    const route = async (tenantId: string, userId?: string) =>
      service.route(await policies.liveScoped(tenantId), request(userId));
    return { service, policies, tenants: tenantStore, clock, route };
  };
  const audits = async () =>
    (await handle.db.select().from(auditLog).orderBy(asc(auditLog.createdAt))).map((a) => a.action);

  it('stores the candidate as the next version with status canary, never live on its own', async () => {
    const { service, policies } = await instance();
    const canary = await service.startCanary(admin, input({ percent: 30, stickyBy: 'conversation' }));
    expect(canary).toMatchObject({
      scope: 'global',
      candidateVersion: 2,
      baselineVersion: 1,
      percent: 30,
      stickyBy: 'conversation',
      status: 'running',
      minRequests: 50,
      startedBy: admin.keyId,
    });
    const [candidate] = await handle.db.select().from(policyVersions).where(eq(policyVersions.version, 2));
    expect(candidate?.status).toBe('canary');
    expect((await policies.latest(GLOBAL_SCOPE))?.version).toBe(1);
    expect((await policies.livePolicy('default')).version).toBe(1);
    expect(await audits()).toContain('canary.started');
  });

  it('refuses a second canary in the same scope with CANARY_RUNNING, and writes nothing for it', async () => {
    const { service } = await instance();
    const first = await service.startCanary(admin, input());
    const err = await service.startCanary(admin, input()).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('CANARY_RUNNING');
    expect((err as { extensions: { canaryId: string } }).extensions.canaryId).toBe(first.id);
    expect(await handle.db.select().from(policyVersions).where(eq(policyVersions.status, 'canary'))).toHaveLength(1);
    await handle.db.insert(tenants).values({ id: 'acme', name: 'Acme' });
    await expect(service.startCanary(admin, input({ scope: 'acme' }))).resolves.toMatchObject({ scope: 'acme' });
  });

  it('refuses an invalid draft with the issues, before anything is written', async () => {
    const { service } = await instance();
    const doc = candidateDoc('no-such-route');
    const err = await service.startCanary(admin, input({ document: doc })).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('INVALID_POLICY');
    expect(await handle.db.select().from(canaries)).toEqual([]);
    expect(await handle.db.select().from(policyVersions)).toHaveLength(1);
  });

  it('routes keyed requests of the scope to the candidate by arm, and the rest to the live policy', async () => {
    const { service, route } = await instance();
    const canary = await service.startCanary(admin, input({ percent: 50 }));
    const arms = await Promise.all(Array.from({ length: 200 }, (_, i) => route('default', `user-${i}`)));
    const onCanary = arms.filter((r) => r.canary?.arm === 'canary');
    expect(onCanary.length).toBeGreaterThan(70);
    expect(onCanary.length).toBeLessThan(130);
    for (const r of arms) {
      expect(r.canary?.id).toBe(canary.id);
      expect(r.policy.version).toBe(r.canary?.arm === 'canary' ? 2 : 1);
    }
    expect(await route('default')).toEqual({
      policy: expect.objectContaining({ version: 1 }),
      canary: { id: canary.id, arm: 'baseline' },
    });
  });

  it('leaves a tenant with a policy of its own out of a global canary, and puts it in its own', async () => {
    const { service, policies, route } = await instance();
    await handle.db.insert(tenants).values({ id: 'acme', name: 'Acme' });
    await policies.publish(admin, 'acme', candidateDoc('gpt-4o'));
    await service.startCanary(admin, input({ percent: 100 }));
    expect((await route('acme', 'u1')).canary).toBeUndefined();
    const own = await service.startCanary(admin, input({ scope: 'acme', percent: 100 }));
    expect((await route('acme', 'u1')).canary).toEqual({ id: own.id, arm: 'canary' });
  });

  it('applies a class canary to that traffic class only', async () => {
    const { service, route } = await instance();
    await service.startCanary(admin, input({ percent: 100, trafficClass: 'batch' }));
    expect((await route('default', 'u1')).canary).toBeUndefined();
  });

  it('compares both arms from the decision log: rates, cost and p95', async () => {
    const { service } = await instance();
    const canary = await service.startCanary(admin, input());
    const row = (arm: 'canary' | 'baseline', i: number, extra: Partial<typeof decisions.$inferInsert> = {}) => ({
      id: randomUUID(),
      tenantId: 'default',
      trafficClass: 'critical',
      policyVersion: arm === 'canary' ? 2 : 1,
      outcome: 'success',
      sensitive: false,
      finalTier: 0,
      degraded: false,
      degradedReasons: [],
      budgetBand: 'normal',
      totalLatencyMs: (i + 1) * 10,
      totalCostUsd: 0.01,
      inputTokens: 1,
      outputTokens: 1,
      attemptCount: 1,
      canaryId: canary.id,
      canaryArm: arm,
      startedAt: new Date(),
      ...extra,
    });
    await handle.db
      .insert(decisions)
      .values([
        ...Array.from({ length: 100 }, (_, i) => row('baseline', i)),
        ...Array.from({ length: 8 }, (_, i) => row('canary', i)),
        row('canary', 8, { outcome: 'failed', finalTier: null, totalCostUsd: 0 }),
        row('canary', 9, { outcome: 'degraded', finalTier: 1 }),
      ]);
    const compared = (await service.compare([canary.id, randomUUID()])).get(canary.id)!;
    expect(compared.baseline).toMatchObject({ requests: 100, successRate: 1, errorRate: 0, fallbackRate: 0 });
    expect(compared.baseline.totalCostUsd).toBeCloseTo(1);
    expect(compared.baseline.p95LatencyMs).toBeCloseTo(950.5);
    expect(compared.canary).toMatchObject({ requests: 10, successRate: 0.9, errorRate: 0.1, fallbackRate: 0.1 });
    expect(compared.canary.avgCostUsd).toBeCloseTo(0.009);
  });

  it('promotes: the candidate keeps its version and goes live; the canary ends, audited', async () => {
    const { service, policies, route } = await instance();
    const canary = await service.startCanary(admin, input());
    const promoted = await service.promote(admin, canary.id);
    expect(promoted).toMatchObject({ status: 'promoted', endedBy: admin.keyId, endedReason: 'promoted by admin' });
    expect((await policies.latest(GLOBAL_SCOPE))?.version).toBe(2);
    expect((await route('default', 'anyone')).policy.version).toBe(2);
    expect((await route('default', 'anyone')).canary).toBeUndefined();
    expect(await audits()).toEqual(['canary.started', 'policy.published', 'canary.promoted']);
  });

  it('promotes a copy as the next version when a version was published while the canary ran', async () => {
    const { service, policies } = await instance();
    const canary = await service.startCanary(admin, input());
    await policies.publish(admin, GLOBAL_SCOPE, candidateDoc('gpt-4o'));
    await service.promote(admin, canary.id);
    const live = await policies.latest(GLOBAL_SCOPE);
    expect(live?.version).toBe(4);
    expect(live?.document.classes.critical?.tiers[0]).toMatchObject({ routes: ['claude-sonnet-4'] });
  });

  it('rolls back: the candidate never goes live and a second end is a CONFLICT', async () => {
    const { service, policies, route } = await instance();
    const canary = await service.startCanary(admin, input({ percent: 100 }));
    await service.rollback(admin, canary.id);
    const [candidate] = await handle.db.select().from(policyVersions).where(eq(policyVersions.version, 2));
    expect(candidate?.status).toBe('rolled_back');
    expect((await policies.latest(GLOBAL_SCOPE))?.version).toBe(1);
    expect(await route('default', 'u1')).toEqual({ policy: expect.objectContaining({ version: 1 }) });
    expect(codeOf(await service.promote(admin, canary.id).catch((e: unknown) => e))).toBe('CONFLICT');
    expect(codeOf(await service.rollback(admin, randomUUID()).catch((e: unknown) => e))).toBe('NOT_FOUND');
  });

  it('keeps a running canary’s candidate out of a policy rollback', async () => {
    const { service, policies } = await instance();
    await policies.publish(admin, GLOBAL_SCOPE, candidateDoc('gpt-4o'));
    await service.startCanary(admin, input());
    await policies.rollback(admin, GLOBAL_SCOPE, 1);
    const rows = await handle.db.select().from(policyVersions).orderBy(asc(policyVersions.version));
    expect(rows.map((r) => r.status)).toEqual(['published', 'rolled_back', 'canary']);
    await expect(policies.rollback(admin, GLOBAL_SCOPE, 3)).rejects.toThrow(/no version 3/);
  });

  it('shows another instance a start, and a promotion, within one poll', async () => {
    const clock = createFakeClock();
    const a = await instance(clock);
    const b = await instance(clock);
    expect((await b.route('default', 'u1')).policy.version).toBe(1);
    const canary = await a.service.startCanary(admin, input({ percent: 100 }));
    await clock.advance(999);
    expect((await b.route('default', 'u1')).canary).toBeUndefined();
    await clock.advance(1);
    // The poll is due; its read of the table is real I/O, so wait (bounded) for it to land.
    await vi.waitFor(async () =>
      expect((await b.route('default', 'u1')).canary).toEqual({ id: canary.id, arm: 'canary' }),
    );
    await a.service.promote(admin, canary.id);
    await clock.advance(1_000);
    await vi.waitFor(async () =>
      expect(await b.route('default', 'u2')).toEqual({ policy: expect.objectContaining({ version: 2 }) }),
    );
  });

  it('rolls back on its own once the canary arm’s error rate crosses its threshold, and raises an alert', async () => {
    const { service, route } = await instance();
    const announced: AlertEvent[] = [];
    const guard = createCanaryGuard({
      canaries: service,
      alerts: { announce: async (events) => void announced.push(...events) },
      clock: createFakeClock(),
      newId: randomUUID,
      logger: silent,
    });
    const canary = await service.startCanary(admin, input({ percent: 100, maxErrorRate: 0.2, minRequests: 20 }));
    const decision = (outcome: Decision['outcome']) =>
      ({ canaryId: canary.id, canaryArm: 'canary', outcome, finalTier: 0, totalLatencyMs: 50 }) as Decision;
    for (let i = 0; i < 15; i++) guard.observe(decision('success'));
    for (let i = 0; i < 4; i++) guard.observe(decision('failed'));
    guard.observe({ ...decision('failed'), canaryArm: 'baseline' });
    await guard.settled();
    expect((await service.get(canary.id))?.status).toBe('running');
    guard.observe(decision('failed'));
    guard.observe(decision('failed'));
    await guard.settled();
    const ended = await service.get(canary.id);
    expect(ended).toMatchObject({ status: 'rolled_back', endedBy: 'system' });
    expect(ended?.endedReason).toBe('error rate 25.0% above 20.0% after 20 canary requests');
    expect(announced).toEqual([
      expect.objectContaining({ ruleId: 'canary_rollback', metric: 'error_rate', value: 0.25, threshold: 0.2 }),
    ]);
    expect((await route('default', 'u1')).canary).toBeUndefined();
    expect(await audits()).toEqual(['canary.started', 'canary.rolled_back']);
  });

  it('rolls back from the decision log what no single instance saw enough of, on its periodic check', async () => {
    const { service } = await instance();
    const clock = createFakeClock();
    const announced: AlertEvent[] = [];
    const guard = (name: string) =>
      createCanaryGuard({
        canaries: service,
        alerts: { announce: async (events) => void announced.push(...events.map((e) => ({ ...e, ruleName: name }))) },
        clock,
        newId: randomUUID,
        logger: silent,
        checkEveryMs: 5_000,
      });
    const [a, b] = [guard('a'), guard('b')];
    const canary = await service.startCanary(admin, input({ percent: 100, maxErrorRate: 0.2, minRequests: 20 }));
    // Two instances served 12 canary requests each, 6 of them failed: neither reached minRequests on its own.
    const served = Array.from({ length: 24 }, (_, i) => ({
      id: randomUUID(),
      tenantId: 'default',
      trafficClass: 'critical',
      policyVersion: canary.candidateVersion,
      outcome: i % 4 === 0 ? 'failed' : 'success',
      sensitive: false,
      finalTier: 0,
      degraded: false,
      degradedReasons: [],
      budgetBand: 'normal',
      totalLatencyMs: 40,
      totalCostUsd: 0.001,
      inputTokens: 1,
      outputTokens: 1,
      attemptCount: 1,
      canaryId: canary.id,
      canaryArm: 'canary',
      startedAt: new Date(),
    }));
    for (const [i, row] of served.entries()) {
      (i % 2 ? a : b).observe({ ...row, canaryArm: 'canary', startedAtMs: 0, attempts: [] } as unknown as Decision);
    }
    await Promise.all([a.settled(), b.settled()]);
    expect((await service.get(canary.id))?.status).toBe('running');
    await handle.db.insert(decisions).values(served);
    a.start();
    await clock.advance(4_999);
    expect((await service.get(canary.id))?.status).toBe('running');
    await clock.advance(1);
    await vi.waitFor(async () => expect((await service.get(canary.id))?.status).toBe('rolled_back'));
    await a.settled();
    a.close();
    const ended = await service.get(canary.id);
    expect(ended?.endedReason).toBe('error rate 25.0% above 20.0% after 24 canary requests');
    expect(announced).toEqual([expect.objectContaining({ ruleId: 'canary_rollback', ruleName: 'a', value: 0.25 })]);
  });
});

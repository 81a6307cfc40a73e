import { and, desc, eq, gt, ne } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { policyVersions } from '../../drizzle/schema/index.js';
import type { Policy } from '../../shared/contracts/policy.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import { InvalidPolicyError } from '../../shared/engine/errors.js';
import { validatePolicy } from '../../shared/engine/policy-matrix.js';
import { createTableSync, type TableSyncOptions } from './table-sync.js';
import type { Principal, TenantStore } from './tenant-store.js';

export const GLOBAL_SCOPE = 'global';

export interface PolicyVersionRow {
  id: string;
  scope: string;
  version: number;
  /** `canary`: a candidate a canary serves to part of the traffic; never live on its own. */
  status: 'published' | 'rolled_back' | 'canary';
  note: string | null;
  publishedBy: string;
  publishedAt: Date;
  document: Policy;
}

/**
 * Versioned policies per scope ('global' or a tenant id). The live policy of a tenant is its own latest published
 * version, else the global one. Live policies are cached; a publish, promotion or rollback on this instance drops the
 * scope's entry at once. With `sync`, other instances' changes are picked up too (after `start()`): a change is
 * announced on Redis, and the table's latest published versions are read every second without it; only scopes whose
 * version changed are dropped, so requests keep their cache hits.
 */
export function createPolicyStore(
  db: Database,
  routes: ReadonlyMap<string, RouteSpec>,
  tenants: TenantStore,
  seed: Policy,
  sync?: Pick<TableSyncOptions, 'clock' | 'logger' | 'redis' | 'pollEveryMs'>,
) {
  const live = new Map<string, Policy | null>();

  /** Drops the cached scopes whose latest published version is no longer the cached one. */
  const refresh = async (): Promise<void> => {
    if (live.size === 0) return;
    const rows = await db
      .selectDistinctOn([policyVersions.scope], { scope: policyVersions.scope, version: policyVersions.version })
      .from(policyVersions)
      .where(eq(policyVersions.status, 'published'))
      .orderBy(policyVersions.scope, desc(policyVersions.version));
    const current = new Map(rows.map((r) => [r.scope, r.version]));
    for (const [scope, policy] of live) {
      if ((policy?.version ?? null) !== (current.get(scope) ?? null)) live.delete(scope);
    }
  };
  const changes = sync && createTableSync({ ...sync, what: 'policies', channel: 'policies', load: refresh });
  /** After a change on this instance: its cache entry is dropped; the other instances are told. */
  const changed = (scope: string) => {
    live.delete(scope);
    changes?.announce();
  };

  const latest = async (scope: string): Promise<PolicyVersionRow | undefined> => {
    const [row] = await db
      .select()
      .from(policyVersions)
      .where(and(eq(policyVersions.scope, scope), eq(policyVersions.status, 'published')))
      .orderBy(desc(policyVersions.version))
      .limit(1);
    return row as PolicyVersionRow | undefined;
  };

  const nextVersion = async (scope: string) => {
    const [row] = await db
      .select({ v: policyVersions.version })
      .from(policyVersions)
      .where(eq(policyVersions.scope, scope))
      .orderBy(desc(policyVersions.version))
      .limit(1);
    return (row?.v ?? 0) + 1;
  };

  const scopeTenant = (scope: string) => (scope === GLOBAL_SCOPE ? null : scope);

  const insert = async (
    actor: Principal,
    scope: string,
    draft: unknown,
    status: 'published' | 'canary',
    note?: string,
  ): Promise<PolicyVersionRow> => {
    const version = await nextVersion(scope);
    const checked = validatePolicy({ ...(draft as object), version }, routes);
    if (!checked.ok) throw new InvalidPolicyError(checked.issues);
    const [row] = await db
      .insert(policyVersions)
      .values({ scope, version, status, document: checked.policy, publishedBy: actor.keyId, note: note ?? null })
      .returning();
    return row as PolicyVersionRow;
  };

  const store = {
    /** Validates a draft against the route catalogue; issues name the field. */
    validate(draft: unknown) {
      return validatePolicy(draft, routes);
    },

    /** Publishes the seed as global version 1 on an empty database. */
    async ensureSeed(): Promise<void> {
      if (await latest(GLOBAL_SCOPE)) return;
      await db
        .insert(policyVersions)
        .values({
          scope: GLOBAL_SCOPE,
          version: seed.version,
          document: seed,
          publishedBy: 'system',
          note: 'initial policy',
        })
        .onConflictDoNothing();
    },

    async livePolicy(tenantId: string): Promise<Policy> {
      return (await store.liveScoped(tenantId)).policy;
    },

    /** The live policy of a tenant and the scope it comes from (the tenant's own, else `global`). */
    async liveScoped(tenantId: string): Promise<{ scope: string; policy: Policy }> {
      for (const scope of [tenantId, GLOBAL_SCOPE]) {
        if (!live.has(scope)) live.set(scope, (await latest(scope))?.document ?? null);
        const policy = live.get(scope);
        if (policy) return { scope, policy };
      }
      return { scope: GLOBAL_SCOPE, policy: seed };
    },

    latest,

    history(scope: string, limit = 50): Promise<PolicyVersionRow[]> {
      return db
        .select()
        .from(policyVersions)
        .where(eq(policyVersions.scope, scope))
        .orderBy(desc(policyVersions.version))
        .limit(limit) as Promise<PolicyVersionRow[]>;
    },

    /** Publishes a draft as the scope's next version; the document's own `version` is overwritten. Throws InvalidPolicyError. */
    async publish(actor: Principal, scope: string, draft: unknown, note?: string): Promise<PolicyVersionRow> {
      const row = await insert(actor, scope, draft, 'published', note);
      changed(scope);
      await tenants.audit(actor, 'policy.published', `${scope}@${row.version}`, scope === GLOBAL_SCOPE ? null : scope);
      return row;
    },

    /** Stores a draft as the scope's next version with status `canary`: not live; a canary serves it. */
    stageCanary(actor: Principal, scope: string, draft: unknown, note?: string): Promise<PolicyVersionRow> {
      return insert(actor, scope, draft, 'canary', note);
    },

    /**
     * Makes a canary candidate live. It keeps its version when still the scope's newest; otherwise (a version was
     * published meanwhile) a copy is published as the next version and the candidate is marked rolled back.
     */
    async promoteCanary(actor: Principal, candidateId: string): Promise<PolicyVersionRow> {
      const [candidate] = await db.select().from(policyVersions).where(eq(policyVersions.id, candidateId));
      if (candidate?.status !== 'canary') throw new InvalidPolicyError([{ path: 'id', message: 'not a canary' }]);
      const { scope } = candidate;
      const current = await latest(scope);
      if (current && current.version > candidate.version) {
        const copy = await store.publish(actor, scope, candidate.document, `promoted canary ${candidate.version}`);
        await db.update(policyVersions).set({ status: 'rolled_back' }).where(eq(policyVersions.id, candidateId));
        return copy;
      }
      const [row] = await db
        .update(policyVersions)
        .set({ status: 'published' })
        .where(eq(policyVersions.id, candidateId))
        .returning();
      changed(scope);
      await tenants.audit(actor, 'policy.published', `${scope}@${candidate.version}`, scopeTenant(scope));
      return row as PolicyVersionRow;
    },

    /** Marks a canary candidate rolled back; it never becomes live. */
    async retireCanary(candidateId: string): Promise<void> {
      await db
        .update(policyVersions)
        .set({ status: 'rolled_back' })
        .where(and(eq(policyVersions.id, candidateId), eq(policyVersions.status, 'canary')));
    },

    /** Makes `toVersion` live again: later published versions are marked rolled back (a running canary's stays). */
    async rollback(actor: Principal, scope: string, toVersion: number): Promise<PolicyVersionRow> {
      const [target] = await db
        .select()
        .from(policyVersions)
        .where(
          and(
            eq(policyVersions.scope, scope),
            eq(policyVersions.version, toVersion),
            ne(policyVersions.status, 'canary'),
          ),
        );
      if (!target) throw new InvalidPolicyError([{ path: 'version', message: `no version ${toVersion} for ${scope}` }]);
      await db
        .update(policyVersions)
        .set({ status: 'rolled_back' })
        .where(
          and(
            eq(policyVersions.scope, scope),
            gt(policyVersions.version, toVersion),
            eq(policyVersions.status, 'published'),
          ),
        );
      await db.update(policyVersions).set({ status: 'published' }).where(eq(policyVersions.id, target.id));
      changed(scope);
      await tenants.audit(actor, 'policy.rolled_back', `${scope}@${toVersion}`, scope === GLOBAL_SCOPE ? null : scope);
      return { ...(target as PolicyVersionRow), status: 'published' };
    },

    /** Drops cached live policies (another instance published). */
    invalidate(scope?: string) {
      if (scope) live.delete(scope);
      else live.clear();
    },

    /** Reads the latest published versions now and drops the cached scopes that changed. */
    refresh,

    /** Starts following other instances' changes (with `sync`). */
    async start(): Promise<void> {
      await changes?.start();
    },

    /** Stops following them. */
    close(): void {
      changes?.close();
    },
  };
  return store;
}
export type PolicyStore = ReturnType<typeof createPolicyStore>;

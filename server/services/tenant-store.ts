import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { apiKeys, auditLog, tenants } from '../../drizzle/schema/index.js';
import { generateApiKey, hashApiKey, keyPrefix, type Role } from '../auth/api-keys.js';

export const DEFAULT_TENANT = 'default';

/** Who is calling, resolved from an API key. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Set for tenant keys: the only tenant whose data they may touch. */
  tenantId: string | null;
}

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = Omit<typeof apiKeys.$inferSelect, 'hash'>;

/** Every api_keys column but the hash: selected column by column so that the hash never leaves the database. */
export const API_KEY_COLUMNS = {
  id: apiKeys.id,
  tenantId: apiKeys.tenantId,
  role: apiKeys.role,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
};

// Key lookups sit on every request: cache them briefly; a revoke on this instance drops its entry at once.
const KEY_CACHE_TTL_MS = 30_000;

/** Tenants, API keys and the audit log. */
export function createTenantStore(db: Database, now: () => number = Date.now) {
  const keyCache = new Map<string, { principal: Principal | null; at: number }>();
  // Read synchronously by the decision sink, which must not wait on the database.
  const contentLogging = new Map<string, boolean>();
  const remember = <T extends TenantRow | undefined>(row: T): T => {
    if (row) contentLogging.set(row.id, row.contentLogging);
    return row;
  };

  const audit = async (
    actor: Principal | null,
    action: string,
    target: string,
    tenantId?: string | null,
    details?: unknown,
  ) => {
    await db.insert(auditLog).values({
      actorKeyId: actor?.keyId ?? null,
      actorRole: actor?.role ?? 'system',
      tenantId: tenantId ?? null,
      action,
      target,
      details: details === undefined ? null : JSON.stringify(details),
    });
  };

  return {
    audit,

    async ensureTenant(id: string, name = id): Promise<void> {
      await db.insert(tenants).values({ id, name }).onConflictDoNothing();
    },

    async createTenant(
      actor: Principal,
      input: { id: string; name: string; contentLogging?: boolean },
    ): Promise<TenantRow> {
      const [row] = await db.insert(tenants).values(input).returning();
      await audit(actor, 'tenant.created', input.id, input.id);
      return remember(row!);
    },

    async updateTenant(
      actor: Principal,
      id: string,
      patch: { name?: string; contentLogging?: boolean },
    ): Promise<TenantRow | undefined> {
      const [row] = await db.update(tenants).set(patch).where(eq(tenants.id, id)).returning();
      if (row) await audit(actor, 'tenant.updated', id, id, patch);
      return remember(row);
    },

    async getTenant(id: string): Promise<TenantRow | undefined> {
      const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
      return remember(row);
    },

    async getTenants(ids: readonly string[]): Promise<TenantRow[]> {
      if (ids.length === 0) return [];
      return db
        .select()
        .from(tenants)
        .where(inArray(tenants.id, [...ids]));
    },

    async listTenants(): Promise<TenantRow[]> {
      const rows = await db.select().from(tenants).orderBy(tenants.id).limit(1000);
      rows.forEach(remember);
      return rows;
    },

    /** Pauses or resumes a tenant's batch traffic (audited). Undefined when there is no such tenant. */
    async setBatchPaused(actor: Principal, id: string, paused: boolean): Promise<TenantRow | undefined> {
      const [row] = await db.update(tenants).set({ batchPaused: paused }).where(eq(tenants.id, id)).returning();
      if (row) await audit(actor, paused ? 'batch.paused' : 'batch.resumed', id, id);
      return remember(row);
    },

    /** Whether the tenant's batch traffic is paused. Read from the database, so every instance agrees at once. */
    async isBatchPaused(id: string): Promise<boolean> {
      const [row] = await db.select({ paused: tenants.batchPaused }).from(tenants).where(eq(tenants.id, id));
      return row?.paused ?? false;
    },

    /** Whether the tenant opted in to content logging, from memory (loaded by any read of the tenant). */
    contentLoggingOf(id: string): boolean {
      return contentLogging.get(id) ?? false;
    },

    /** Creates a key and returns it in full exactly once. */
    async createApiKey(
      actor: Principal | null,
      input: { role: Role; tenantId: string | null; name: string },
      presetKey?: string,
    ): Promise<{ key: string; row: ApiKeyRow }> {
      const key = presetKey ?? generateApiKey(input.role);
      const [row] = await db
        .insert(apiKeys)
        .values({ ...input, prefix: keyPrefix(key), hash: hashApiKey(key) })
        .returning();
      const { hash: _hash, ...safe } = row!;
      await audit(actor, 'key.created', safe.id, input.tenantId, { role: input.role, name: input.name });
      return { key, row: safe };
    },

    async revokeApiKey(actor: Principal, id: string, tenantId?: string): Promise<boolean> {
      const where = tenantId ? and(eq(apiKeys.id, id), eq(apiKeys.tenantId, tenantId)) : eq(apiKeys.id, id);
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: new Date(now()) })
        .where(and(where, isNull(apiKeys.revokedAt)))
        .returning({ hash: apiKeys.hash, tenantId: apiKeys.tenantId });
      for (const r of rows) keyCache.delete(r.hash);
      if (rows.length) await audit(actor, 'key.revoked', id, rows[0]!.tenantId);
      return rows.length > 0;
    },

    listApiKeys(tenantId?: string): Promise<ApiKeyRow[]> {
      const q = db.select(API_KEY_COLUMNS).from(apiKeys);
      return (tenantId ? q.where(eq(apiKeys.tenantId, tenantId)) : q).orderBy(desc(apiKeys.createdAt)).limit(1000);
    },

    /** Resolves a presented key; null for unknown or revoked keys. */
    async authenticate(key: string): Promise<Principal | null> {
      const hash = hashApiKey(key);
      const cached = keyCache.get(hash);
      if (cached && now() - cached.at < KEY_CACHE_TTL_MS) return cached.principal;
      const [row] = await db
        .select({ id: apiKeys.id, role: apiKeys.role, tenantId: apiKeys.tenantId })
        .from(apiKeys)
        .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
      const principal = row ? { keyId: row.id, role: row.role, tenantId: row.tenantId } : null;
      if (keyCache.size > 10_000) keyCache.clear();
      keyCache.set(hash, { principal, at: now() });
      return principal;
    },

    async hasAdminKey(): Promise<boolean> {
      const rows = await db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)))
        .limit(1);
      return rows.length > 0;
    },

    async isKnownKey(key: string): Promise<boolean> {
      const rows = await db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(eq(apiKeys.hash, hashApiKey(key)))
        .limit(1);
      return rows.length > 0;
    },
  };
}
export type TenantStore = ReturnType<typeof createTenantStore>;

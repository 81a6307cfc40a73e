import { desc } from 'drizzle-orm';
import { z } from 'zod';
import { auditLog } from '../../../drizzle/schema/index.js';
import { ROLES } from '../../auth/api-keys.js';
import { GLOBAL_SCOPE } from '../../services/policy-store.js';
import type { ApiKeyRow, TenantRow } from '../../services/tenant-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertAuthenticated, assertStaff, tenantScope } from '../context.js';
import { clientError } from '../errors.js';
import { loadApiKeys, loadApiKeysByTenant, loadTenants } from '../loaders.js';
import { badInput, parseInput, withoutNulls } from '../validation.js';

/** Roles an API key can have: admin (everything), viewer (reads everything), tenant (its own tenant only). */
export const RoleEnum = builder.enumType('Role', { values: ROLES });

/** An API key as listed: never the key itself, only its recognisable prefix. */
export const ApiKey = builder.objectRef<ApiKeyRow>('ApiKey').implement({
  description: 'An API key. The key itself is shown once, by `createApiKey`; only its prefix is readable later.',
  fields: (t) => ({
    id: t.exposeID('id'),
    role: t.field({ type: RoleEnum, resolve: (k) => k.role }),
    tenantId: t.exposeString('tenantId', { nullable: true }),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, for people to recognise it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

/** A tenant; `budget` is added by the budget domain. */
export const Tenant = builder.objectRef<TenantRow>('Tenant').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    contentLogging: t.exposeBoolean('contentLogging', {
      description: 'Opt-in: prompts and answers are stored (redacted) with decisions. Off by default.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    apiKeys: t.loadableGroup({
      type: ApiKey,
      nullable: true,
      description: 'Admins only: the tenant’s keys, newest first, revoked ones included.',
      load: loadApiKeysByTenant,
      group: (k) => k.tenantId ?? '',
      resolve: (tenant, _args, ctx) => {
        assertAdmin(ctx);
        return tenant.id;
      },
    }),
  }),
});

const Me = builder.objectRef<{ keyId: string; role: (typeof ROLES)[number]; tenantId: string | null }>('Me').implement({
  description: 'The caller, as resolved from its API key.',
  fields: (t) => ({
    keyId: t.exposeID('keyId'),
    role: t.field({ type: RoleEnum, resolve: (p) => p.role }),
    tenantId: t.exposeString('tenantId', { nullable: true }),
  }),
});

const CreatedApiKey = builder.objectRef<{ key: string; apiKey: ApiKeyRow }>('CreatedApiKey').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The full key. Shown this once: only its hash is stored.' }),
    apiKey: t.field({ type: ApiKey, resolve: (r) => r.apiKey }),
  }),
});

type AuditRow = typeof auditLog.$inferSelect;
const AuditEntry = builder.objectRef<AuditRow>('AuditEntry').implement({
  description: 'One admin action: who (key id and role), what, on which target, and when.',
  fields: (t) => ({
    id: t.exposeID('id'),
    actorKeyId: t.exposeString('actorKeyId', { nullable: true, description: 'Null for system actions.' }),
    actorRole: t.exposeString('actorRole'),
    tenantId: t.exposeString('tenantId', { nullable: true }),
    action: t.exposeString('action', { description: 'e.g. key.created, budget.set, policy.published.' }),
    target: t.exposeString('target'),
    details: t.field({
      type: 'JSON',
      nullable: true,
      resolve: (r) => (r.details === null ? null : (JSON.parse(r.details) as unknown)),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

// Tenant ids appear in URLs, policy scopes and logs: keep them plain, and never 'global', the policy scope of all.
const TenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use 1-63 lowercase letters, digits, _ or -, starting with a letter or digit')
  .refine((id) => id !== GLOBAL_SCOPE, `"${GLOBAL_SCOPE}" is reserved for the global policy scope`);
const NameSchema = z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters');

const CreateTenantInput = builder.inputType('CreateTenantInput', {
  fields: (t) => ({
    id: t.string({ required: true }),
    name: t.string({ required: true }),
    contentLogging: t.boolean({ description: 'Defaults to false: no prompt or answer text is stored.' }),
  }),
});
const UpdateTenantInput = builder.inputType('UpdateTenantInput', {
  fields: (t) => ({ name: t.string(), contentLogging: t.boolean() }),
});

/** Postgres unique_violation (23505), through drizzle's wrapping error. */
function isUniqueViolation(error: unknown): boolean {
  for (let e = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

builder.queryFields((t) => ({
  me: t.field({ type: Me, resolve: (_r, _a, ctx) => assertAuthenticated(ctx) }),
  tenants: t.field({
    type: [Tenant],
    description: 'Admins and viewers: every tenant, by id.',
    resolve: (_r, _a, ctx) => {
      assertStaff(ctx);
      return ctx.services.tenants.listTenants();
    },
  }),
  tenant: t.loadable({
    type: Tenant,
    nullable: true,
    description: 'One tenant; a tenant key may only ask for its own.',
    args: { id: t.arg.id({ required: true }) },
    load: loadTenants,
    sort: (row) => row.id,
    resolve: (_r, { id }, ctx) => tenantScope(ctx, String(id))!,
  }),
  auditLog: t.field({
    type: [AuditEntry],
    description: 'Admins only: the latest admin actions, newest first.',
    args: { first: t.arg.int({ description: 'How many, 1 to 500. Defaults to 50.' }) },
    resolve: (_r, { first }, ctx) => {
      assertAdmin(ctx);
      const limit = first ?? 50;
      if (limit < 1 || limit > 500) throw badInput([{ path: 'first', message: 'must be between 1 and 500' }]);
      return ctx.services.database.db.select().from(auditLog).orderBy(desc(auditLog.createdAt)).limit(limit);
    },
  }),
}));

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: Tenant,
    args: { input: t.arg({ type: CreateTenantInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const actor = assertAdmin(ctx);
      const valid = parseInput(
        z.object({ id: TenantIdSchema, name: NameSchema, contentLogging: z.boolean().default(false) }),
        withoutNulls(input),
        'input',
      );
      const taken = () => badInput([{ path: 'input.id', message: `tenant "${valid.id}" already exists` }]);
      if (await ctx.services.tenants.getTenant(valid.id)) throw taken();
      try {
        return await ctx.services.tenants.createTenant(actor, valid);
      } catch (e) {
        // Two admins creating the same id at once: the loser meets the primary key, not the check above.
        if (isUniqueViolation(e)) throw taken();
        throw e;
      }
    },
  }),
  updateTenant: t.field({
    type: Tenant,
    description: 'Renames a tenant or turns content logging on (opt-in) or off.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateTenantInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => {
      const actor = assertAdmin(ctx);
      const patch = parseInput(
        z
          .object({ name: NameSchema.optional(), contentLogging: z.boolean().optional() })
          .refine((p) => Object.keys(p).length > 0, 'give name or contentLogging'),
        withoutNulls(input),
        'input',
      );
      const row = await ctx.services.tenants.updateTenant(actor, String(id), patch);
      if (!row) throw clientError('NOT_FOUND', `no tenant "${id}"`);
      return row;
    },
  }),
  createApiKey: t.field({
    type: CreatedApiKey,
    description: 'Makes a key. Tenant keys need a tenantId; admin and viewer keys must not have one.',
    args: {
      role: t.arg({ type: RoleEnum, required: true }),
      tenantId: t.arg.id(),
      name: t.arg.string({ required: true }),
    },
    resolve: async (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const name = parseInput(NameSchema, args.name, 'name');
      const tenantId = args.tenantId === null || args.tenantId === undefined ? null : String(args.tenantId);
      if (args.role === 'tenant' && !tenantId)
        throw badInput([{ path: 'tenantId', message: 'a tenant key needs a tenant' }]);
      if (args.role !== 'tenant' && tenantId)
        throw badInput([{ path: 'tenantId', message: `an ${args.role} key is not tied to a tenant` }]);
      if (tenantId && !(await ctx.services.tenants.getTenant(tenantId)))
        throw badInput([{ path: 'tenantId', message: `no tenant "${tenantId}"` }]);
      const { key, row } = await ctx.services.tenants.createApiKey(actor, { role: args.role, tenantId, name });
      return { key, apiKey: row };
    },
  }),
  revokeApiKey: t.loadable({
    type: ApiKey,
    description: 'Revokes a key at once on this instance (other instances within 30 s). Returns it, revoked.',
    args: { id: t.arg.id({ required: true }) },
    load: loadApiKeys,
    sort: (k) => k.id,
    resolve: async (_r, { id }, ctx) => {
      const actor = assertAdmin(ctx);
      const keyId = parseInput(z.uuid('not an API key id'), String(id), 'id');
      if (!(await ctx.services.tenants.revokeApiKey(actor, keyId)))
        throw clientError('NOT_FOUND', `no active API key "${keyId}"`);
      return keyId;
    },
  }),
}));

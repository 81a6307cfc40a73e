import { z } from 'zod';
import { ANY_TENANT, RATE_LIMIT_SCOPES, type RateLimit, type RateLimitScope } from '../../services/rate-limits.js';
import { builder } from '../builder.js';
import { assertAdmin, assertStaff, type GraphQLContext } from '../context.js';
import { badInput, parseInput } from '../validation.js';

const RateLimitScopeEnum = builder.enumType('RateLimitScope', {
  description:
    'What a rate limit applies to: a tenant id (`*` for every tenant without one), an API key id or a route id.',
  values: RATE_LIMIT_SCOPES,
});
const RateLimitSourceEnum = builder.enumType('RateLimitSource', {
  description: '`config`: the config file; `runtime`: set with `setRateLimit`, which replaces the file’s entry.',
  values: ['config', 'runtime'] as const,
});

const RateLimitRef = builder.objectRef<RateLimit>('RateLimit').implement({
  description:
    'Requests and tokens per minute for one subject, shared by every instance (Redis). A request over a tenant or key ' +
    'limit gets RATE_LIMITED (HTTP 429 on /v1); a route over its limit is skipped like an open breaker.',
  fields: (t) => ({
    scope: t.field({ type: RateLimitScopeEnum, resolve: (l) => l.scope }),
    id: t.exposeID('id'),
    requestsPerMinute: t.exposeInt('requestsPerMinute', { nullable: true, description: 'Null: no request limit.' }),
    tokensPerMinute: t.exposeInt('tokensPerMinute', {
      nullable: true,
      description: 'Estimated input tokens taken up front, output tokens counted after the answer. Null: no limit.',
    }),
    source: t.field({ type: RateLimitSourceEnum, resolve: (l) => l.source }),
  }),
});

const perMinute = z.number().int().positive().max(1_000_000_000).nullable().default(null);
const SettingsSchema = z.object({ requestsPerMinute: perMinute, tokensPerMinute: perMinute });

/** The subject must exist: a tenant (or `*`), an API key id, a route of the catalogue. */
async function assertSubject(scope: RateLimitScope, id: string, ctx: GraphQLContext) {
  const { services } = ctx;
  const found =
    scope === 'tenant'
      ? id === ANY_TENANT || Boolean(await services.tenants.getTenant(id))
      : scope === 'key'
        ? (await services.tenants.listApiKeys()).some((k) => k.id === id)
        : services.config.routes.has(id);
  if (!found) throw badInput([{ path: 'id', message: `no ${scope} "${id}"` }]);
}

builder.queryField('rateLimits', (t) =>
  t.field({
    type: [RateLimitRef],
    description: 'Every rate limit in force: config-file entries, replaced by runtime ones. Staff only.',
    resolve: async (_r, _a, ctx) => {
      assertStaff(ctx);
      return ctx.services.rateLimits.list();
    },
  }),
);

builder.mutationFields((t) => ({
  setRateLimit: t.field({
    type: RateLimitRef,
    description:
      'Sets a subject’s per-minute limits at runtime, replacing its config entry on every instance; a null ' +
      'dimension means no limit on it. Admins only; audited.',
    args: {
      scope: t.arg({ type: RateLimitScopeEnum, required: true }),
      id: t.arg.id({ required: true }),
      requestsPerMinute: t.arg.int(),
      tokensPerMinute: t.arg.int(),
    },
    resolve: async (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const id = String(args.id);
      const settings = parseInput(SettingsSchema, {
        requestsPerMinute: args.requestsPerMinute ?? null,
        tokensPerMinute: args.tokensPerMinute ?? null,
      });
      await assertSubject(args.scope, id, ctx);
      const limit = await ctx.services.rateLimits.set(args.scope, id, settings);
      const tenantId = args.scope === 'tenant' && id !== ANY_TENANT ? id : null;
      await ctx.services.tenants.audit(actor, 'rate_limit.set', `${args.scope}:${id}`, tenantId, settings);
      return limit;
    },
  }),
  clearRateLimit: t.field({
    type: 'Boolean',
    description: 'Drops a runtime limit, so the config file’s entry (if any) applies again. Admins only; audited.',
    args: { scope: t.arg({ type: RateLimitScopeEnum, required: true }), id: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const id = String(args.id);
      const cleared = await ctx.services.rateLimits.clear(args.scope, id);
      const tenantId = args.scope === 'tenant' && id !== ANY_TENANT ? id : null;
      if (cleared) await ctx.services.tenants.audit(actor, 'rate_limit.cleared', `${args.scope}:${id}`, tenantId);
      return cleared;
    },
  }),
}));

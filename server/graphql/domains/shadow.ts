import {
  SHADOW_STATUSES,
  startShadowInputSchema,
  type ShadowFailureCount,
  type ShadowRoute,
  type ShadowSideStats,
} from '../../../shared/contracts/shadow.js';
import type { ShadowComparisonView } from '../../services/shadow-routes.js';
import { GLOBAL_SHADOW_SCOPE } from '../../services/shadow-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertAuthenticated, type GraphQLContext } from '../context.js';
import { clientError } from '../errors.js';
import { parseInput, withoutNulls } from '../validation.js';
import { TrafficClassEnum } from './completion.js';
import { FailureKindEnum } from './decision.js';
import { Route } from './route.js';

const ShadowStatusEnum = builder.enumType('ShadowStatus', { values: SHADOW_STATUSES });

const ShadowSide = builder.objectRef<ShadowSideStats>('ShadowSide').implement({
  description: 'One side of a shadow comparison, over the same mirrored requests. Latency in ms, cost in USD.',
  fields: (t) => ({
    calls: t.exposeInt('calls'),
    errorRate: t.exposeFloat('errorRate', {
      nullable: true,
      description: 'Requests without an answer / calls; null without calls.',
    }),
    p50LatencyMs: t.exposeFloat('p50LatencyMs', { nullable: true }),
    p95LatencyMs: t.exposeFloat('p95LatencyMs', { nullable: true }),
    avgCostUsd: t.exposeFloat('avgCostUsd', { nullable: true }),
    totalCostUsd: t.exposeFloat('totalCostUsd'),
    schemaChecked: t.exposeInt('schemaChecked', {
      description: 'Answers checked against the request’s response schema.',
    }),
    schemaPassRate: t.exposeFloat('schemaPassRate', {
      nullable: true,
      description: 'Share of the checked answers that matched the schema; null when no request had a schema.',
    }),
  }),
});

const ShadowFailure = builder.objectRef<ShadowFailureCount>('ShadowFailure').implement({
  fields: (t) => ({
    kind: t.field({ type: FailureKindEnum, resolve: (f) => f.kind }),
    calls: t.exposeInt('calls'),
  }),
});

const ShadowComparisonRef = builder.objectRef<ShadowComparisonView>('ShadowComparison').implement({
  description: 'The serving routes next to the shadow route, over every request mirrored to it.',
  fields: (t) => ({
    serving: t.field({ type: ShadowSide, resolve: (c) => c.serving }),
    shadow: t.field({ type: ShadowSide, resolve: (c) => c.shadow }),
    shadowFailures: t.field({
      type: [ShadowFailure],
      description: 'Failed mirrored calls by failure kind, most first.',
      resolve: (c) => c.shadowFailures,
    }),
    skippedBudget: t.exposeInt('skippedBudget', {
      description: 'Sampled requests not mirrored: the shadow budget had nothing left for them.',
    }),
    skippedBusy: t.exposeInt('skippedBusy', {
      description: 'Sampled requests not mirrored because too many mirrored calls ran at once (this instance).',
    }),
  }),
});

const ShadowRouteRef = builder.objectRef<ShadowRoute>('ShadowRoute').implement({
  description:
    'A candidate route that gets a sampled copy of a scope’s requests after they are served. Its answers are never ' +
    'returned; its spend goes to its own shadow budget, never the tenant’s; sensitive requests are never mirrored.',
  fields: (t) => ({
    id: t.exposeID('id'),
    scope: t.exposeString('scope', { description: '`global` or a tenant id.' }),
    trafficClass: t.field({
      type: TrafficClassEnum,
      nullable: true,
      description: 'Null: every class of the scope.',
      resolve: (s) => s.trafficClass,
    }),
    routeId: t.exposeID('routeId'),
    route: t.field({
      type: Route,
      nullable: true,
      description: 'Null when the route has left the catalogue.',
      resolve: (s, _a, ctx) => ctx.services.config.routes.get(s.routeId) ?? null,
    }),
    sampleRate: t.exposeFloat('sampleRate', { description: 'Share of eligible requests mirrored, 0 < rate <= 1.' }),
    timeoutMs: t.exposeInt('timeoutMs', { description: 'Per-call timeout of a mirrored call, in milliseconds.' }),
    budgetUsd: t.exposeFloat('budgetUsd', { description: 'The shadow budget.' }),
    spentUsd: t.exposeFloat('spentUsd'),
    reservedUsd: t.exposeFloat('reservedUsd', { description: 'Held by mirrored calls in flight.' }),
    status: t.field({ type: ShadowStatusEnum, resolve: (s) => s.status }),
    createdBy: t.exposeString('createdBy', { description: 'The API key id that started it (never the key).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    stoppedAt: t.expose('stoppedAt', { type: 'DateTime', nullable: true }),
    comparison: t.loadable({
      type: ShadowComparisonRef,
      load: (ids: string[], ctx: GraphQLContext) => ctx.services.shadows.comparisons(ids),
      sort: (c) => c.shadowId,
      resolve: (s) => s.id,
    }),
  }),
});

const StartShadowRouteInput = builder.inputType('StartShadowRouteInput', {
  description: 'A shadow to start. No tenantId: every tenant (global); no trafficClass: every class.',
  fields: (t) => ({
    tenantId: t.id(),
    trafficClass: t.field({ type: TrafficClassEnum }),
    routeId: t.id({ required: true }),
    sampleRate: t.float({ required: true, description: 'Share of eligible requests mirrored, 0 < rate <= 1.' }),
    timeoutMs: t.int({ description: 'Per-call timeout, in milliseconds. Defaults to 10 000; at most 60 000.' }),
    budgetUsd: t.float({ required: true, description: 'The shadow budget, in USD.' }),
  }),
});

builder.queryField('shadowRoutes', (t) =>
  t.field({
    type: [ShadowRouteRef],
    description:
      'Shadow routes with their comparison, newest first. Tenant keys see only their own tenant’s shadows; staff ' +
      'see all, or one tenant’s with `tenantId`.',
    args: { tenantId: t.arg.id(), status: t.arg({ type: ShadowStatusEnum }) },
    resolve: (_r, args, ctx) => {
      const p = assertAuthenticated(ctx);
      const requested = args.tenantId?.toString();
      if (p.role === 'tenant' && requested && requested !== p.tenantId)
        throw clientError('FORBIDDEN', 'a tenant key can only use its own tenant');
      // A global shadow's results span every tenant: tenant keys see their own scope only.
      const scope = p.role === 'tenant' ? p.tenantId! : requested;
      return ctx.services.shadows.list({
        ...(scope && { scopes: [scope] }),
        ...(args.status && { status: args.status }),
      });
    },
  }),
);

builder.mutationFields((t) => ({
  startShadowRoute: t.field({
    type: ShadowRouteRef,
    description:
      'Starts mirroring a sampled share of a scope’s requests to a candidate route; every instance picks it up ' +
      'within about a second. BAD_USER_INPUT names a route outside the catalogue or a bad rate, timeout or budget; ' +
      'NOT_FOUND an unknown tenant. Admins only; audited.',
    args: { input: t.arg({ type: StartShadowRouteInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const actor = assertAdmin(ctx);
      const parsed = parseInput(startShadowInputSchema(ctx.services.config.routes), withoutNulls(input), 'input');
      if (parsed.tenantId === GLOBAL_SHADOW_SCOPE) delete parsed.tenantId;
      if (parsed.tenantId && !(await ctx.services.tenants.getTenant(parsed.tenantId)))
        throw clientError('NOT_FOUND', `no tenant "${parsed.tenantId}"`);
      return ctx.services.shadows.startShadow(actor, parsed);
    },
  }),
  stopShadowRoute: t.field({
    type: ShadowRouteRef,
    description: 'Stops a shadow route (a stopped one is returned as is). NOT_FOUND for an unknown id. Admins only.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const actor = assertAdmin(ctx);
      const shadow = await ctx.services.shadows.stopShadow(actor, String(id));
      if (!shadow) throw clientError('NOT_FOUND', `no shadow route "${String(id)}"`);
      return shadow;
    },
  }),
}));

import { z } from 'zod';
import { SWITCHABLE_TIERS, type FeatureFlag, type FlagSubject } from '../../services/feature-flags.js';
import type { Principal } from '../../services/tenant-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertStaff, type GraphQLContext } from '../context.js';
import { clientError } from '../errors.js';
import { parseInput } from '../validation.js';
import { TrafficClassEnum } from './completion.js';

const FeatureFlagScopeEnum = builder.enumType('FeatureFlagScope', {
  description: 'What a feature flag switches: one route, or one tier of the class policies.',
  values: ['route', 'tier'] as const,
});

const FeatureFlagRef = builder.objectRef<FeatureFlag>('FeatureFlag').implement({
  description:
    'A route or tier switched off (or back on) for every instance. A switched-off route is skipped without a call, ' +
    'recorded in the decision’s attempts with skipReason `disabled`; when nothing is left, the class’s degradation ' +
    'or hard stop applies. A route or tier without a flag is on.',
  fields: (t) => ({
    id: t.exposeID('id', { description: '`route:<routeId>`, `tier:<n>` (every class) or `tier:<n>:<trafficClass>`.' }),
    scope: t.field({ type: FeatureFlagScopeEnum, resolve: (f) => f.scope }),
    routeId: t.exposeString('routeId', { nullable: true, description: 'Set for route flags.' }),
    tier: t.exposeInt('tier', {
      nullable: true,
      description: 'Set for tier flags: the tier’s index in the class policy (0 = primary).',
    }),
    trafficClass: t.field({
      type: TrafficClassEnum,
      nullable: true,
      description: 'The class a tier flag applies to; null: every class without a flag of its own for that tier.',
      resolve: (f) => f.trafficClass,
    }),
    enabled: t.exposeBoolean('enabled'),
    reason: t.exposeString('reason'),
    updatedBy: t.exposeString('updatedBy', {
      nullable: true,
      description: 'The API key id that made the change (never the key).',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ReasonSchema = z.string().trim().min(1, 'say why').max(500);
const TierSchema = z
  .number()
  .int()
  .min(0)
  .max(SWITCHABLE_TIERS - 1, `a tier index is 0 to ${SWITCHABLE_TIERS - 1}`);

// The subject is checked by the caller and the reason here, before anything is written.
const setFlag = (ctx: GraphQLContext, actor: Principal, subject: FlagSubject, enabled: boolean, reason: string) =>
  ctx.services.featureFlags.set(actor, subject, enabled, parseInput(ReasonSchema, reason, 'reason'));

builder.queryField('featureFlags', (t) =>
  t.field({
    type: [FeatureFlagRef],
    description:
      'Every route and tier flag as this instance applies it (a change made on another instance arrives within ' +
      'about a second). Staff only.',
    resolve: (_r, _a, ctx) => {
      assertStaff(ctx);
      return ctx.services.featureFlags.list();
    },
  }),
);

builder.mutationFields((t) => ({
  setRouteEnabled: t.field({
    type: FeatureFlagRef,
    description:
      'Switches a route off or back on for every instance at once; `reason` is required. NOT_FOUND for a route ' +
      'outside the catalogue. Admins only; audited.',
    args: {
      routeId: t.arg.id({ required: true }),
      enabled: t.arg.boolean({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const routeId = String(args.routeId);
      if (!ctx.services.config.routes.has(routeId)) throw clientError('NOT_FOUND', `no route "${routeId}"`);
      return setFlag(ctx, actor, { scope: 'route', routeId }, args.enabled, args.reason);
    },
  }),
  setTierEnabled: t.field({
    type: FeatureFlagRef,
    description:
      'Switches every route of a tier (index in the class policy, 0 = primary) off or back on, for one traffic ' +
      'class or, without one, for every class without a flag of its own; a degrade tier is not affected. ' +
      'Admins only; audited.',
    args: {
      tier: t.arg.int({ required: true }),
      trafficClass: t.arg({ type: TrafficClassEnum }),
      enabled: t.arg.boolean({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const tier = parseInput(TierSchema, args.tier, 'tier');
      const subject: FlagSubject = { scope: 'tier', tier, trafficClass: args.trafficClass ?? null };
      return setFlag(ctx, actor, subject, args.enabled, args.reason);
    },
  }),
}));

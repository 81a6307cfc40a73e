import { z } from 'zod';
import {
  CANARY_STATUSES,
  CANARY_STICKY_BY,
  StartCanaryInputSchema,
  type Canary,
  type CanaryArmStats,
  type CanaryComparison,
} from '../../../shared/contracts/canary.js';
import { GLOBAL_SCOPE } from '../../services/policy-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertAuthenticated, tenantScope, type GraphQLContext } from '../context.js';
import { clientError, toGraphQLError } from '../errors.js';
import { parseInput, withoutNulls } from '../validation.js';
import { TrafficClassEnum } from './completion.js';

const CanaryStatusEnum = builder.enumType('CanaryStatus', { values: CANARY_STATUSES });
const CanaryStickyByEnum = builder.enumType('CanaryStickyBy', {
  description:
    'What keeps a request on its arm: `user` (userId), or `conversation` (metadata.conversation_id, else ' +
    'workflowId, else userId). A request without that key stays on the baseline.',
  values: CANARY_STICKY_BY,
});

const CanaryArmStatsRef = builder.objectRef<CanaryArmStats>('CanaryArmStats').implement({
  description: 'What one arm’s requests came to, from the decision log. Rates are 0..1; null with no requests.',
  fields: (t) => ({
    requests: t.exposeInt('requests'),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'Answered: success or degraded.' }),
    errorRate: t.exposeFloat('errorRate', { nullable: true, description: 'Requests that failed.' }),
    fallbackRate: t.exposeFloat('fallbackRate', {
      nullable: true,
      description: 'Requests answered by a tier after the primary.',
    }),
    avgCostUsd: t.exposeFloat('avgCostUsd', { nullable: true }),
    totalCostUsd: t.exposeFloat('totalCostUsd'),
    p95LatencyMs: t.exposeFloat('p95LatencyMs', { nullable: true, description: 'In milliseconds.' }),
  }),
});

const CanaryComparisonRef = builder.objectRef<CanaryComparison>('CanaryComparison').implement({
  fields: (t) => ({
    canary: t.field({ type: CanaryArmStatsRef, resolve: (c) => c.canary }),
    baseline: t.field({ type: CanaryArmStatsRef, resolve: (c) => c.baseline }),
  }),
});

const CanaryRef = builder.objectRef<Canary>('Canary').implement({
  description:
    'A policy version served to a sticky share of a scope’s traffic, compared with the live one (the baseline), ' +
    'then promoted or rolled back; rolled back on its own when its canary arm crosses a threshold.',
  fields: (t) => ({
    id: t.exposeID('id'),
    scope: t.exposeString('scope', { description: '`global` or a tenant id.' }),
    trafficClass: t.field({
      type: TrafficClassEnum,
      nullable: true,
      description: 'The only class it applies to; null: every class.',
      resolve: (c) => c.trafficClass,
    }),
    candidateVersion: t.exposeInt('candidateVersion', {
      description: 'The candidate’s policy version (status canary).',
    }),
    baselineVersion: t.exposeInt('baselineVersion', { description: 'The live version when the canary started.' }),
    percent: t.exposeFloat('percent', { description: 'Share of keyed requests on the candidate, in percent.' }),
    stickyBy: t.field({ type: CanaryStickyByEnum, resolve: (c) => c.stickyBy }),
    maxErrorRate: t.exposeFloat('maxErrorRate', { nullable: true }),
    maxFallbackRate: t.exposeFloat('maxFallbackRate', { nullable: true }),
    maxP95Ms: t.exposeInt('maxP95Ms', { nullable: true }),
    minRequests: t.exposeInt('minRequests', { description: 'Canary-arm requests before a threshold may fire.' }),
    status: t.field({ type: CanaryStatusEnum, resolve: (c) => c.status }),
    endedReason: t.exposeString('endedReason', {
      nullable: true,
      description: 'Who or what ended it: the admin, or the threshold an automatic rollback crossed.',
    }),
    startedBy: t.exposeString('startedBy', { description: 'The API key id that started it (never the key).' }),
    startedAt: t.field({ type: 'DateTime', resolve: (c) => new Date(c.startedAtMs) }),
    endedBy: t.exposeString('endedBy', { nullable: true, description: 'An API key id, or `system`.' }),
    endedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (c) => (c.endedAtMs === null ? null : new Date(c.endedAtMs)),
    }),
    comparison: t.loadable({
      type: CanaryComparisonRef,
      description: 'Canary arm against baseline arm, over the decisions made while it ran.',
      load: async (ids: string[], ctx: GraphQLContext) => {
        const compared = await ctx.services.canaries.compare(ids);
        return ids.map((id) => compared.get(id)!);
      },
      resolve: (c) => c.id,
    }),
  }),
});

const StartCanaryInput = builder.inputType('StartCanaryInput', {
  description: 'A canary to start. Null thresholds do not apply.',
  fields: (t) => ({
    scope: t.string({ required: true, description: '`global` or a tenant id.' }),
    trafficClass: t.field({ type: TrafficClassEnum, description: 'Only this class; omit for every class.' }),
    percent: t.float({ required: true, description: 'Share of keyed requests on the candidate: 0 < percent <= 100.' }),
    stickyBy: t.field({ type: CanaryStickyByEnum, description: 'Defaults to `user`.' }),
    document: t.field({ type: 'JSON', required: true, description: 'The candidate policy (a draft).' }),
    note: t.string(),
    maxErrorRate: t.float({ description: 'Roll back when the canary arm’s error rate (0..1) goes above it.' }),
    maxFallbackRate: t.float({ description: 'Roll back when its fallback rate (0..1) goes above it.' }),
    maxP95Ms: t.int({ description: 'Roll back when its p95 latency goes above it, in milliseconds.' }),
    minRequests: t.int({ description: 'Canary-arm requests before a threshold may fire. Defaults to 50.' }),
  }),
});

const canaryId = (id: unknown) => parseInput(z.uuid('not a canary id'), String(id), 'id');

/** The canary with this id, or NOT_FOUND (BAD_USER_INPUT for an id that cannot be one). */
async function ownCanary(ctx: GraphQLContext, id: unknown): Promise<Canary> {
  const canary = await ctx.services.canaries.get(canaryId(id));
  if (!canary) throw clientError('NOT_FOUND', `no canary "${String(id)}"`);
  return canary;
}

const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    throw toGraphQLError(e);
  }
};

builder.queryField('canaries', (t) =>
  t.field({
    type: [CanaryRef],
    description:
      'Canaries, newest first (up to 100), with both arms compared. Staff see every scope, or the one named; a ' +
      'tenant key sees its own tenant’s only.',
    args: { scope: t.arg.string(), status: t.arg({ type: CanaryStatusEnum }) },
    resolve: (_r, args, ctx) => {
      const principal = assertAuthenticated(ctx);
      // A global canary's comparison counts every tenant's traffic: not for a tenant key's eyes.
      if (principal.role === 'tenant' && args.scope === GLOBAL_SCOPE)
        throw clientError('FORBIDDEN', 'a tenant key can only use its own tenant');
      const scope = args.scope === GLOBAL_SCOPE ? GLOBAL_SCOPE : tenantScope(ctx, args.scope);
      return ctx.services.canaries.list({
        ...(scope !== undefined && { scopes: [scope] }),
        ...(args.status && { status: args.status }),
      });
    },
  }),
);

builder.mutationFields((t) => ({
  startCanary: t.field({
    type: CanaryRef,
    description:
      'Stores the draft as the scope’s next version (status canary) and serves it to `percent` of the keyed ' +
      'requests, sticky per user or conversation. CANARY_RUNNING when the scope runs one already; an invalid ' +
      'draft is BAD_USER_INPUT with `extensions.issues`. Admins only; audited.',
    args: { input: t.arg({ type: StartCanaryInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const actor = assertAdmin(ctx);
      const parsed = parseInput(StartCanaryInputSchema, withoutNulls(input), 'input');
      if (parsed.scope !== GLOBAL_SCOPE && !(await ctx.services.tenants.getTenant(parsed.scope)))
        throw clientError('NOT_FOUND', `no policy scope "${parsed.scope}": use "${GLOBAL_SCOPE}" or a tenant id`);
      return wrap(() => ctx.services.canaries.startCanary(actor, parsed));
    },
  }),
  promoteCanary: t.field({
    type: CanaryRef,
    description:
      'Makes the candidate the scope’s live version and ends the canary; CONFLICT when it already ended. ' +
      'Admins only; audited.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const actor = assertAdmin(ctx);
      const canary = await ownCanary(ctx, id);
      return wrap(() => ctx.services.canaries.promote(actor, canary.id));
    },
  }),
  rollbackCanary: t.field({
    type: CanaryRef,
    description:
      'Ends the canary; its candidate never goes live and every request runs on the live version again. ' +
      'CONFLICT when it already ended. Admins only; audited.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const actor = assertAdmin(ctx);
      const canary = await ownCanary(ctx, id);
      return wrap(() => ctx.services.canaries.rollback(actor, canary.id));
    },
  }),
}));

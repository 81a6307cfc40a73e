import type { ObjectFieldBuilder } from '@pothos/core';
import type { Policy } from '../../../shared/contracts/policy.js';
import type {
  BandCrossing,
  ErrorCount,
  ReplayChange,
  ReplayDelta,
  ReplayedDecision,
  ReplayMetrics,
  ReplaySideBySide,
  ReplaySources,
  TierCount,
} from '../../../shared/contracts/what-if.js';
import { InvalidPolicyError, isBackstopError } from '../../../shared/engine/errors.js';
import { createWhatIfService, type WhatIfResult } from '../../services/what-if-service.js';
import { builder } from '../builder.js';
import { tenantScope } from '../context.js';
import { toGraphQLError } from '../errors.js';
import { badInput } from '../validation.js';
import { BudgetBandEnum } from './budget.js';
import { TrafficClassEnum } from './completion.js';
import { DecisionOutcomeEnum } from './decision.js';
import { validateDraft } from './policy.js';

const TierCountRef = builder.objectRef<TierCount>('WhatIfTierCount').implement({
  fields: (t) => ({
    tier: t.exposeInt('tier', { description: 'The tier that answered or deferred; -1 for requests none did.' }),
    requests: t.exposeInt('requests'),
  }),
});

const ErrorCountRef = builder.objectRef<ErrorCount>('WhatIfErrorCount').implement({
  fields: (t) => ({ code: t.exposeString('code'), requests: t.exposeInt('requests') }),
});

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** The fields a side's metrics and the draft's deltas share. */
const countFields = <T extends ReplayDelta>(t: ObjectFieldBuilder<BuilderTypes, T>) => ({
  answered: t.int({ description: 'Answered now: success plus degraded.', resolve: (m) => m.answered }),
  success: t.int({ resolve: (m) => m.success }),
  degraded: t.int({
    description: 'Answered with a degraded reason (fallback, uncertain, budget downgrade, cached or default).',
    resolve: (m) => m.degraded,
  }),
  failed: t.int({ resolve: (m) => m.failed }),
  deferred: t.int({ description: 'Queued, paused or sent to human review.', resolve: (m) => m.deferred }),
  fallbacks: t.int({ description: 'Answered by another route than the planned one.', resolve: (m) => m.fallbacks }),
  fallbackRate: t.float({ nullable: true, resolve: (m) => m.fallbackRate }),
  calls: t.int({ description: 'Upstream calls.', resolve: (m) => m.calls }),
  costUsd: t.float({ resolve: (m) => m.costUsd }),
  p95LatencyMs: t.float({ nullable: true, resolve: (m) => m.p95LatencyMs }),
  tierActivation: t.field({ type: [TierCountRef], resolve: (m) => m.tierActivation }),
  errors: t.field({ type: [ErrorCountRef], resolve: (m) => m.errors }),
});

const Metrics = builder.objectRef<ReplayMetrics>('WhatIfMetrics').implement({
  description: 'What a set of requests came to, recorded or replayed. Latency in milliseconds (p95, nearest rank).',
  fields: (t) => ({ requests: t.exposeInt('requests'), ...countFields(t) }),
});

const Delta = builder.objectRef<ReplayDelta>('WhatIfDelta').implement({
  description: 'The draft minus the published policy; a rate or p95 is null when either side has none.',
  fields: (t) => countFields(t),
});

const sideFields = {
  recorded: { type: Metrics, description: 'What the decision log recorded.' },
  published: { type: Metrics, description: 'The replay under each tenant’s published policy.' },
  draft: { type: Metrics, description: 'The replay under the draft.' },
  delta: { type: Delta },
} as const;

const SideBySide = builder.objectRef<ReplaySideBySide>('WhatIfSideBySide').implement({
  fields: (t) => ({
    recorded: t.field({ ...sideFields.recorded, resolve: (s) => s.recorded! }),
    published: t.field({ ...sideFields.published, resolve: (s) => s.published }),
    draft: t.field({ ...sideFields.draft, resolve: (s) => s.draft }),
    delta: t.field({ ...sideFields.delta, resolve: (s) => s.delta }),
  }),
});

type Group = WhatIfResult['groups'][number];
const GroupRef = builder.objectRef<Group>('WhatIfGroup').implement({
  description: 'One tenant and traffic class of the window.',
  fields: (t) => ({
    tenantId: t.exposeString('tenantId'),
    trafficClass: t.field({ type: TrafficClassEnum, resolve: (g) => g.trafficClass }),
    recorded: t.field({ ...sideFields.recorded, resolve: (g) => g.recorded! }),
    published: t.field({ ...sideFields.published, resolve: (g) => g.published }),
    draft: t.field({ ...sideFields.draft, resolve: (g) => g.draft }),
    delta: t.field({ ...sideFields.delta, resolve: (g) => g.delta }),
  }),
});

const DecisionEnd = builder.objectRef<ReplayedDecision>('WhatIfDecisionEnd').implement({
  fields: (t) => ({
    outcome: t.field({ type: DecisionOutcomeEnum, resolve: (d) => d.outcome }),
    finalRouteId: t.exposeString('finalRouteId', { nullable: true }),
    finalTier: t.exposeInt('finalTier', { nullable: true }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    fallback: t.exposeBoolean('fallback'),
    calls: t.exposeInt('calls'),
    costUsd: t.exposeFloat('costUsd'),
    latencyMs: t.exposeFloat('latencyMs'),
  }),
});

const Change = builder.objectRef<ReplayChange>('WhatIfChange').implement({
  description: 'A decision that ends differently under the draft (outcome, answering route, tier or error).',
  fields: (t) => ({
    decisionId: t.exposeID('decisionId'),
    tenantId: t.exposeString('tenantId'),
    trafficClass: t.field({ type: TrafficClassEnum, resolve: (c) => c.trafficClass }),
    published: t.field({ type: DecisionEnd, resolve: (c) => c.published }),
    draft: t.field({ type: DecisionEnd, resolve: (c) => c.draft }),
  }),
});

const Crossing = builder.objectRef<BandCrossing>('WhatIfBandCrossing').implement({
  description: 'A tenant’s month-to-date spend entered a higher budget band at this decision.',
  fields: (t) => ({
    tenantId: t.exposeString('tenantId'),
    from: t.field({ type: BudgetBandEnum, resolve: (c) => c.from }),
    to: t.field({ type: BudgetBandEnum, resolve: (c) => c.to }),
    decisionId: t.exposeID('decisionId'),
    at: t.field({ type: 'DateTime', resolve: (c) => new Date(c.atMs) }),
  }),
});

interface Crossings {
  recorded: BandCrossing[];
  published: BandCrossing[];
  draft: BandCrossing[];
}
const CrossingsRef = builder.objectRef<Crossings>('WhatIfBandCrossings').implement({
  description:
    'Recorded: the band changes the log shows. Published and draft: projected from month-to-date spend against ' +
    'the tenant’s monthly limit, for tenants with a budget. Requests are planned in their recorded band either way.',
  fields: (t) => ({
    recorded: t.field({ type: [Crossing], resolve: (c) => c.recorded }),
    published: t.field({ type: [Crossing], resolve: (c) => c.published }),
    draft: t.field({ type: [Crossing], resolve: (c) => c.draft }),
  }),
});

const Sources = builder.objectRef<ReplaySources>('WhatIfSources').implement({
  description: 'Where a replay’s call outcomes came from.',
  fields: (t) => ({
    reusedCalls: t.exposeInt('reusedCalls', { description: 'Calls replayed as recorded.' }),
    sampledCalls: t.exposeInt('sampledCalls', { description: 'Calls drawn from the route’s health in the window.' }),
    assumedCalls: t.exposeInt('assumedCalls', {
      description: 'Calls to routes the window never called, assumed to succeed.',
    }),
    unobservedRoutes: t.exposeStringList('unobservedRoutes'),
  }),
});

const SourcesBySide = builder
  .objectRef<{ published: ReplaySources; draft: ReplaySources }>('WhatIfSourcesBySide')
  .implement({
    fields: (t) => ({
      published: t.field({ type: Sources, resolve: (s) => s.published }),
      draft: t.field({ type: Sources, resolve: (s) => s.draft }),
    }),
  });

const WhatIfReplay = builder.objectRef<WhatIfResult>('WhatIfReplay').implement({
  description:
    'A window of the decision log run again under each tenant’s published policy and under a draft, without ' +
    'calling any provider; recorded reality beside both. See the README, "What-if replay", for the model.',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    tenantId: t.exposeString('tenantId', { nullable: true, description: 'The tenant replayed; null for all.' }),
    requests: t.exposeInt('requests', { description: 'Decisions replayed.' }),
    excluded: t.exposeInt('excluded', { description: 'Decisions left out: reviewers’ answers, unknown classes.' }),
    draftIsPublished: t.exposeBoolean('draftIsPublished', {
      description: 'No draft was given: the published policy is on both sides.',
    }),
    overall: t.field({ type: SideBySide, resolve: (r) => r.overall }),
    groups: t.field({ type: [GroupRef], resolve: (r) => r.groups }),
    changedDecisions: t.exposeInt('changedDecisions'),
    changes: t.field({
      type: [Change],
      description: 'The first changed decisions (up to 50), oldest first.',
      resolve: (r) => r.changes,
    }),
    bandCrossings: t.field({
      type: CrossingsRef,
      resolve: (r) => ({
        recorded: r.bandCrossings?.recorded ?? [],
        published: r.bandCrossings?.published ?? [],
        draft: r.bandCrossings?.draft ?? [],
      }),
    }),
    sources: t.field({ type: SourcesBySide, resolve: (r) => r.sources }),
  }),
});

const WhatIfReplayInput = builder.inputType('WhatIfReplayInput', {
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: true, description: 'Inclusive.' }),
    to: t.field({ type: 'DateTime', required: true, description: 'Exclusive.' }),
    tenantId: t.id({ description: 'Staff: one tenant, or all when absent. Tenant keys always replay their own.' }),
    draft: t.field({
      type: 'JSON',
      description:
        'A draft policy document, as for `validatePolicy` and `publishPolicy` (the version may be left out). ' +
        'Absent: the published policy is replayed on both sides.',
    }),
  }),
});

builder.queryField('whatIfReplay', (t) =>
  t.field({
    type: WhatIfReplay,
    description:
      'What-if replay: what a draft policy would have changed over [from, to), per tenant and class, side by side ' +
      'with the published policy and the recorded reality. No provider is called; the same input gives the same ' +
      'report. Tenant keys replay only their own decisions. An invalid draft is BAD_USER_INPUT with `issues`.',
    args: { input: t.arg({ type: WhatIfReplayInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const tenantId = tenantScope(ctx, input.tenantId?.toString());
      if (!(input.from < input.to)) throw badInput([{ path: 'input.to', message: 'must be after input.from' }]);
      let draft: Policy | undefined;
      if (input.draft !== null && input.draft !== undefined) {
        const checked = validateDraft(ctx, input.draft);
        if (!checked.ok) throw toGraphQLError(new InvalidPolicyError(checked.issues));
        draft = checked.policy;
      }
      const { database, config, policies } = ctx.services;
      const service = createWhatIfService({ db: database.db, routes: config.routes, policies });
      try {
        return await service.replay({
          from: input.from,
          to: input.to,
          ...(tenantId !== undefined && { tenantId }),
          ...(draft && { draft }),
        });
      } catch (e) {
        // A window over the replay's size limit: the client can narrow it.
        if (isBackstopError(e) && e.code === 'REQUEST_REJECTED')
          throw badInput([{ path: 'input', message: e.message }]);
        throw e;
      }
    },
  }),
);

import { z } from 'zod';
import type { BudgetBand } from '../../../shared/contracts/budget.js';
import {
  DECISION_OUTCOMES,
  FAILURE_KINDS,
  type AttemptRecord,
  type BreakerState,
  type CanaryArm,
  type DecisionOutcome,
  type FailureKind,
} from '../../../shared/contracts/decision.js';
import type { TrafficClass } from '../../../shared/contracts/policy.js';
import { isBackstopError } from '../../../shared/engine/errors.js';
import {
  encodeCursor,
  attemptsForDecisions,
  listDecisions,
  MAX_ATTEMPT_BATCH,
  MAX_PAGE_SIZE,
  type AttemptRow,
  type DecisionRow,
} from '../../services/decision-queries.js';
import { builder } from '../builder.js';
import { DegradedReasonEnum } from './completion.js';
import type { DegradedReason } from '../../../shared/contracts/completion.js';
import { assertAuthenticated, tenantScope } from '../context.js';
import { loadDecisions, loadTenants } from '../loaders.js';
import { badInput, parseInput } from '../validation.js';
import { BudgetBandEnum } from './budget.js';
import { TrafficClassEnum } from './completion.js';
import { BreakerStateEnum } from './route.js';
import { Tenant } from './tenant.js';

export const DecisionOutcomeEnum = builder.enumType('DecisionOutcome', { values: DECISION_OUTCOMES });
const CanaryArmEnum = builder.enumType('CanaryArm', { values: ['canary', 'baseline'] as const });
const AttemptOutcomeEnum = builder.enumType('AttemptOutcome', { values: ['success', 'failure', 'skipped'] as const });
export const FailureKindEnum = builder.enumType('FailureKind', { values: FAILURE_KINDS });

/** One try (or skip) of one route within a decision. */
export const Attempt = builder.objectRef<AttemptRow>('Attempt').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    tier: t.exposeInt('tier'),
    routeId: t.exposeString('routeId'),
    provider: t.exposeString('provider'),
    model: t.exposeString('model'),
    outcome: t.field({ type: AttemptOutcomeEnum, resolve: (a) => a.outcome as AttemptRecord['outcome'] }),
    skipReason: t.exposeString('skipReason', { nullable: true }),
    failureKind: t.field({
      type: FailureKindEnum,
      nullable: true,
      resolve: (a) => a.failureKind as FailureKind | null,
    }),
    status: t.exposeInt('status', { nullable: true, description: 'The provider’s HTTP status, if it answered.' }),
    providerCode: t.exposeString('providerCode', { nullable: true }),
    retry: t.exposeInt('retry', { description: '0 for the first try of a route, then 1, 2, ...' }),
    breakerState: t.field({ type: BreakerStateEnum, resolve: (a) => a.breakerState as BreakerState }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    latencyMs: t.exposeInt('latencyMs'),
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
    costUsd: t.exposeFloat('costUsd'),
  }),
});

// Rows hold these closed sets as text columns; the writer only ever stores the contract's values.

/** Everything Backstop decided for one request. */
export const Decision = builder.objectRef<DecisionRow>('Decision').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    tenantId: t.exposeString('tenantId'),
    trafficClass: t.field({ type: TrafficClassEnum, resolve: (d) => d.trafficClass as TrafficClass }),
    policyVersion: t.exposeInt('policyVersion'),
    outcome: t.field({ type: DecisionOutcomeEnum, resolve: (d) => d.outcome as DecisionOutcome }),
    sensitive: t.exposeBoolean('sensitive'),
    originalRouteId: t.exposeString('originalRouteId', { nullable: true }),
    finalRouteId: t.exposeString('finalRouteId', { nullable: true }),
    finalTier: t.exposeInt('finalTier', { nullable: true }),
    degraded: t.exposeBoolean('degraded'),
    degradedReasons: t.field({ type: [DegradedReasonEnum], resolve: (d) => d.degradedReasons as DegradedReason[] }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    budgetBand: t.field({ type: BudgetBandEnum, resolve: (d) => d.budgetBand as BudgetBand }),
    totalLatencyMs: t.exposeInt('totalLatencyMs'),
    totalCostUsd: t.exposeFloat('totalCostUsd'),
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
    attemptCount: t.exposeInt('attemptCount'),
    userId: t.exposeString('userId', { nullable: true }),
    appId: t.exposeString('appId', { nullable: true }),
    featureId: t.exposeString('featureId', { nullable: true }),
    workflowId: t.exposeString('workflowId', { nullable: true }),
    jobId: t.exposeString('jobId', { nullable: true }),
    canaryId: t.exposeString('canaryId', {
      nullable: true,
      description: 'The canary running for the request’s scope and class, if any (see `canaries`).',
    }),
    canaryArm: t.field({
      type: CanaryArmEnum,
      nullable: true,
      description: '`canary`: the candidate policy served it; `baseline`: the live one did.',
      resolve: (d) => (d.canaryArm as CanaryArm | null) ?? null,
    }),
    promptHash: t.exposeString('promptHash', { nullable: true, description: 'SHA-256 of the prompt.' }),
    promptChars: t.exposeInt('promptChars', { nullable: true }),
    content: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Redacted prompt and answer; only for tenants that opted in to content logging.',
      resolve: (d) => d.content ?? null,
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    attempts: t.loadableList({
      type: Attempt,
      description: 'In order. One query loads the attempts of every decision on the page.',
      load: (ids: string[], ctx) => attemptsForDecisions(ctx.services.database.db, ids),
      loaderOptions: { maxBatchSize: MAX_ATTEMPT_BATCH },
      resolve: (d) => d.id,
    }),
    tenant: t.loadable({
      type: Tenant,
      nullable: true,
      load: loadTenants,
      sort: (row) => row.id,
      resolve: (d) => d.tenantId,
    }),
  }),
});

const DecisionEdge = builder.objectRef<{ node: DecisionRow; cursor: string }>('DecisionEdge').implement({
  fields: (t) => ({
    node: t.field({ type: Decision, resolve: (e) => e.node }),
    cursor: t.exposeString('cursor'),
  }),
});

const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }>(
    'PageInfo',
  )
  .implement({
    description: 'Relay page info. Pages go forward only (`after`), so hasPreviousPage says whether `after` was given.',
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
      startCursor: t.exposeString('startCursor', { nullable: true }),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  });

const DecisionConnection = builder
  .objectRef<{ edges: { node: DecisionRow; cursor: string }[]; pageInfo: typeof PageInfo.$inferType }>(
    'DecisionConnection',
  )
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [DecisionEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

const DecisionFilter = builder.inputType('DecisionFilter', {
  fields: (t) => ({
    tenantId: t.id({ description: 'Staff only; tenant keys always see their own tenant.' }),
    trafficClass: t.field({ type: TrafficClassEnum }),
    routeId: t.string({ description: 'The route that answered.' }),
    outcome: t.field({ type: DecisionOutcomeEnum }),
    degraded: t.boolean(),
    from: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    to: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

builder.queryFields((t) => ({
  decisions: t.field({
    type: DecisionConnection,
    description: 'The decision log, newest first, in keyset pages. Tenant keys see only their own tenant.',
    args: {
      filter: t.arg({ type: DecisionFilter }),
      first: t.arg.int({ defaultValue: 50, description: `Page size, 1 to ${MAX_PAGE_SIZE}. Defaults to 50.` }),
      after: t.arg.string({ description: 'The `endCursor` of the previous page.' }),
    },
    resolve: async (_r, { filter, first, after }, ctx) => {
      const tenantId = tenantScope(ctx, filter?.tenantId?.toString());
      const size = parseInput(z.number().int().min(1).max(MAX_PAGE_SIZE), first ?? 50, 'first');
      if (filter?.from && filter.to && !(filter.from < filter.to))
        throw badInput([{ path: 'filter.to', message: 'must be after filter.from' }]);
      let page;
      try {
        page = await listDecisions(ctx.services.database.db, {
          first: size,
          after: after ?? null,
          ...(tenantId && { tenantId }),
          ...(filter?.trafficClass && { trafficClass: filter.trafficClass }),
          ...(filter?.routeId && { routeId: filter.routeId }),
          ...(filter?.outcome && { outcome: filter.outcome }),
          ...(typeof filter?.degraded === 'boolean' && { degraded: filter.degraded }),
          ...(filter?.from && { from: filter.from }),
          ...(filter?.to && { to: filter.to }),
        });
      } catch (e) {
        // The only input listDecisions can still refuse after the checks above is a malformed cursor.
        if (isBackstopError(e) && e.code === 'REQUEST_REJECTED')
          throw badInput([{ path: 'after', message: e.message }]);
        throw e;
      }
      const edges = page.nodes.map((node) => ({ node, cursor: encodeCursor(node) }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: Boolean(after),
          startCursor: edges[0]?.cursor ?? null,
          endCursor: page.endCursor,
        },
      };
    },
  }),
  decision: t.field({
    type: Decision,
    nullable: true,
    description: 'One decision; null when there is none, or when it belongs to another tenant than the caller’s.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const principal = assertAuthenticated(ctx);
      const [row] = await loadDecisions([String(id)], ctx);
      // Null, not FORBIDDEN: a tenant key must not learn that another tenant's decision id exists.
      if (!row || (principal.role === 'tenant' && row.tenantId !== principal.tenantId)) return null;
      return row;
    },
  }),
}));

import { filter, pipe } from 'graphql-yoga';
import type { DecisionEvent } from '../../monitoring/decision-feed.js';
import { builder } from '../builder.js';
import { tenantScope } from '../context.js';
import { TrafficClassEnum } from './completion.js';
import { DecisionOutcomeEnum } from './decision.js';

const DecisionEventRef = builder.objectRef<DecisionEvent>('DecisionEvent').implement({
  description: 'A decision as it is recorded: the summary the live console shows. Query `decision(id)` for the rest.',
  fields: (t) => ({
    id: t.exposeID('id'),
    tenantId: t.exposeString('tenantId'),
    trafficClass: t.field({ type: TrafficClassEnum, resolve: (e) => e.trafficClass }),
    outcome: t.field({ type: DecisionOutcomeEnum, resolve: (e) => e.outcome }),
    finalRouteId: t.exposeString('finalRouteId', { nullable: true, description: 'The route that answered, if any.' }),
    finalTier: t.exposeInt('finalTier', { nullable: true, description: '0 is the primary tier.' }),
    totalCostUsd: t.exposeFloat('totalCostUsd'),
    totalLatencyMs: t.exposeInt('totalLatencyMs', { description: 'In milliseconds.' }),
    startedAt: t.field({ type: 'DateTime', resolve: (e) => new Date(e.startedAtMs) }),
    degraded: t.exposeBoolean('degraded'),
    fallback: t.exposeBoolean('fallback', {
      description: 'Answered by a tier past the primary (or marked a fallback), as `fallbackRate` counts it.',
    }),
  }),
});

builder.subscriptionField('decisionRecorded', (t) =>
  t.field({
    type: DecisionEventRef,
    description:
      'Every decision as it is recorded on this instance. Staff receive every tenant’s (or only `tenantId`’s); ' +
      'tenant keys only their own tenant’s.',
    args: { tenantId: t.arg.id({ description: 'Staff: only this tenant’s decisions.' }) },
    subscribe: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      const source = ctx.services.monitoring.pubsub.subscribe('decision:recorded');
      return tenantId === undefined
        ? source
        : pipe(
            source,
            filter((e: DecisionEvent) => e.tenantId === tenantId),
          );
    },
    resolve: (event) => event,
  }),
);

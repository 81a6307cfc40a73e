import { z } from 'zod';
import type { FailureKind } from '../../../shared/contracts/decision.js';
import type { AggregateRow, AggregateSnapshot } from '../../../shared/monitoring/live-aggregates.js';
import { builder } from '../builder.js';
import { assertStaff } from '../context.js';
import { parseInput } from '../validation.js';

const KindRate = builder.objectRef<{ kind: FailureKind; rate: number }>('FailureKindRate').implement({
  fields: (t) => ({
    kind: t.exposeString('kind'),
    rate: t.exposeFloat('rate', { description: 'Failures of this kind / calls, 0 to 1.' }),
  }),
});

const LiveAggregateRow = builder.objectRef<AggregateRow>('LiveAggregateRow').implement({
  description: 'One route or traffic class over the window. Rates are fractions (0 to 1), latency milliseconds.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The route id or traffic class.' }),
    requests: t.exposeInt('requests'),
    calls: t.exposeInt('calls', { description: 'Calls sent to providers (attempts not skipped).' }),
    successRate: t.exposeFloat('successRate'),
    fallbackRate: t.exposeFloat('fallbackRate'),
    errorRateByKind: t.field({
      type: [KindRate],
      description: 'Kinds with at least one failure.',
      resolve: (r) =>
        Object.entries(r.errorRateByKind)
          .filter(([, rate]) => rate > 0)
          .map(([kind, rate]) => ({ kind: kind as FailureKind, rate })),
    }),
    p50Ms: t.float({ nullable: true, resolve: (r) => r.p50 ?? null }),
    p95Ms: t.float({ nullable: true, resolve: (r) => r.p95 ?? null }),
    p99Ms: t.float({ nullable: true, resolve: (r) => r.p99 ?? null }),
    tokensIn: t.exposeInt('tokensIn'),
    tokensOut: t.exposeInt('tokensOut'),
    costUsd: t.exposeFloat('costUsd'),
  }),
});

const LiveMetrics = builder.objectRef<AggregateSnapshot>('LiveMetrics').implement({
  description: 'In-memory aggregates of this instance over the last window (at most 1 h), per route and class.',
  fields: (t) => ({
    windowMs: t.exposeInt('windowMs'),
    routes: t.field({ type: [LiveAggregateRow], resolve: (s) => s.routes }),
    classes: t.field({ type: [LiveAggregateRow], resolve: (s) => s.classes }),
  }),
});

builder.queryField('liveMetrics', (t) =>
  t.field({
    type: LiveMetrics,
    description: 'Staff only (they span every tenant): live aggregates over the last `windowMs` milliseconds.',
    args: { windowMs: t.arg.int({ description: '1000 to 3600000. Defaults to 300000 (5 min).' }) },
    resolve: (_r, { windowMs }, ctx) => {
      assertStaff(ctx);
      const ms = parseInput(z.number().int().min(1_000).max(3_600_000), windowMs ?? 300_000, 'windowMs');
      return ctx.services.monitoring.live.snapshot(ms);
    },
  }),
);

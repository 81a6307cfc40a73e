import { z } from 'zod';
import {
  costBreakdown,
  fallbackRate,
  latencyByModel,
  MAX_BUCKETS,
  successRateByModel,
  tierActivation,
  type CostShare,
  type FallbackRate,
  type MetricsWindow,
  type ModelLatency,
  type ModelSuccessRate,
  type TierActivationPoint,
} from '../../services/decision-queries.js';
import { builder } from '../builder.js';
import { tenantScope } from '../context.js';
import { badInput, parseInput } from '../validation.js';
import { TrafficClassEnum } from './completion.js';

const MINUTE_MS = 60_000;

interface TierBucketShape {
  bucketStart: Date;
  tiers: Omit<TierActivationPoint, 'bucketStart'>[];
}

const TierCount = builder.objectRef<Omit<TierActivationPoint, 'bucketStart'>>('TierCount').implement({
  fields: (t) => ({
    tier: t.exposeInt('tier', { description: '0 for the primary tier; -1 for requests that reached no tier.' }),
    requests: t.exposeInt('requests'),
    successes: t.exposeInt('successes'),
  }),
});

const TierBucket = builder.objectRef<TierBucketShape>('TierBucket').implement({
  description: 'Requests per tier in one time bucket; tiers with no requests are left out.',
  fields: (t) => ({
    bucketStart: t.expose('bucketStart', { type: 'DateTime' }),
    tiers: t.field({ type: [TierCount], resolve: (b) => b.tiers }),
  }),
});

const FallbackRateRef = builder.objectRef<FallbackRate>('FallbackRate').implement({
  fields: (t) => ({
    requests: t.exposeInt('requests'),
    fallbacks: t.exposeInt('fallbacks', { description: 'Requests answered by another route than the planned one.' }),
    rate: t.exposeFloat('rate', {
      nullable: true,
      description: 'fallbacks / requests, 0 to 1; null without requests.',
    }),
  }),
});

const ModelSuccessRateRef = builder.objectRef<ModelSuccessRate>('ModelSuccessRate').implement({
  fields: (t) => ({
    model: t.exposeString('model'),
    requests: t.exposeInt('requests'),
    successes: t.exposeInt('successes'),
    rate: t.exposeFloat('rate'),
  }),
});

const ModelLatencyRef = builder.objectRef<ModelLatency>('ModelLatency').implement({
  description: 'End-to-end request latency, estimated from per-minute histograms, in milliseconds.',
  fields: (t) => ({
    model: t.exposeString('model'),
    requests: t.exposeInt('requests'),
    p50Ms: t.exposeFloat('p50Ms', { nullable: true }),
    p95Ms: t.exposeFloat('p95Ms', { nullable: true }),
  }),
});

const CostShareRef = builder.objectRef<CostShare>('CostShare').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The tenant id, model or traffic class.' }),
    requests: t.exposeInt('requests'),
    costUsd: t.exposeFloat('costUsd'),
  }),
});

/** Groups the flat (bucket, tier) rows into one entry per bucket, in time order. */
function byBucket(points: readonly TierActivationPoint[]): TierBucketShape[] {
  const buckets = new Map<number, TierBucketShape>();
  for (const { bucketStart, ...count } of points) {
    const key = bucketStart.getTime();
    if (!buckets.has(key)) buckets.set(key, { bucketStart, tiers: [] });
    buckets.get(key)!.tiers.push(count);
  }
  return [...buckets.values()].sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime());
}

type Window = MetricsWindow & { bucketMs: number };

// Each field runs its own query over the rollups, only when selected: a chart asks for what it draws.
const Metrics = builder.objectRef<Window>('Metrics').implement({
  description: 'Aggregates of the decision log over a window, from per-minute rollups.',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    bucketMinutes: t.int({ resolve: (w) => w.bucketMs / MINUTE_MS }),
    tierActivation: t.field({
      type: [TierBucket],
      resolve: async (w, _a, ctx) => byBucket(await tierActivation(ctx.services.database.db, w)),
    }),
    fallbackActivationRate: t.field({
      type: FallbackRateRef,
      resolve: (w, _a, ctx) => fallbackRate(ctx.services.database.db, w),
    }),
    successRateByModel: t.field({
      type: [ModelSuccessRateRef],
      resolve: (w, _a, ctx) => successRateByModel(ctx.services.database.db, w),
    }),
    latencyByModel: t.field({
      type: [ModelLatencyRef],
      resolve: (w, _a, ctx) => latencyByModel(ctx.services.database.db, w),
    }),
    costByTenant: t.field({
      type: [CostShareRef],
      resolve: (w, _a, ctx) => costBreakdown(ctx.services.database.db, { ...w, by: 'tenant' }),
    }),
    costByModel: t.field({
      type: [CostShareRef],
      resolve: (w, _a, ctx) => costBreakdown(ctx.services.database.db, { ...w, by: 'model' }),
    }),
    costByClass: t.field({
      type: [CostShareRef],
      resolve: (w, _a, ctx) => costBreakdown(ctx.services.database.db, { ...w, by: 'class' }),
    }),
  }),
});

builder.queryField('metrics', (t) =>
  t.field({
    type: Metrics,
    description: 'Charts over [from, to). Tenant keys see only their own tenant; staff all tenants or one.',
    args: {
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      bucketMinutes: t.arg.int({ defaultValue: 60, description: 'Width of a tierActivation bucket. Defaults to 60.' }),
      tenantId: t.arg.id(),
      trafficClass: t.arg({ type: TrafficClassEnum }),
    },
    resolve: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      const minutes = parseInput(z.number().int().positive(), args.bucketMinutes ?? 60, 'bucketMinutes');
      if (!(args.from < args.to)) throw badInput([{ path: 'to', message: 'must be after from' }]);
      const bucketMs = minutes * MINUTE_MS;
      if ((args.to.getTime() - args.from.getTime()) / bucketMs > MAX_BUCKETS)
        throw badInput([{ path: 'bucketMinutes', message: `the window would need over ${MAX_BUCKETS} buckets` }]);
      return {
        from: args.from,
        to: args.to,
        bucketMs,
        ...(tenantId && { tenantId }),
        ...(args.trafficClass && { trafficClass: args.trafficClass }),
      };
    },
  }),
);

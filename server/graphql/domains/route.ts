import type { BreakerStats } from '../../../shared/engine/circuit-breaker.js';
import type { SyntheticResult } from '../../monitoring/synthetic-checks.js';
import { QUALITY_CLASSES, type Price, type RouteSpec } from '../../../shared/contracts/route.js';
import { builder } from '../builder.js';
import { assertAuthenticated } from '../context.js';
import { loadBreakerStats } from '../loaders.js';

/** Breaker states; a half-open breaker lets probes through. */
export const BreakerStateEnum = builder.enumType('BreakerState', { values: ['closed', 'open', 'half_open'] as const });
const QualityClassEnum = builder.enumType('QualityClass', { values: QUALITY_CLASSES });

const PriceRef = builder.objectRef<Price>('Price').implement({
  description: 'USD per million tokens.',
  fields: (t) => ({ inputPerMTok: t.exposeFloat('inputPerMTok'), outputPerMTok: t.exposeFloat('outputPerMTok') }),
});

const RouteBreaker = builder.objectRef<BreakerStats>('RouteBreaker').implement({
  description: 'The route’s circuit breaker now, over its rolling window (60 s by default).',
  fields: (t) => ({
    state: t.field({ type: BreakerStateEnum, resolve: (s) => s.state }),
    requests: t.exposeInt('requests', { description: 'Calls in the window that count for health.' }),
    errorRate: t.exposeFloat('errorRate', { description: 'Failures / requests in the window, 0 to 1.' }),
    p50LatencyMs: t.exposeFloat('p50LatencyMs', { nullable: true, description: 'Null on an empty window.' }),
    p95LatencyMs: t.exposeFloat('p95LatencyMs', { nullable: true, description: 'Null on an empty window.' }),
  }),
});

const SyntheticCheck = builder.objectRef<SyntheticResult>('SyntheticCheck').implement({
  description: 'The last synthetic probe of a route (a tiny prompt straight to the provider, outside budgets).',
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    latencyMs: t.exposeFloat('latencyMs', { description: 'In milliseconds.' }),
    checkedAt: t.field({ type: 'DateTime', resolve: (s) => new Date(s.checkedAtMs) }),
    error: t.exposeString('error', { nullable: true, description: 'Failure kind and message; null when ok.' }),
  }),
});

/** A route of the catalogue: one provider + model that tiers send requests to. */
export const Route = builder.objectRef<RouteSpec>('Route').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    provider: t.exposeString('provider'),
    model: t.exposeString('model'),
    qualityClass: t.field({ type: QualityClassEnum, resolve: (r) => r.qualityClass }),
    price: t.field({ type: PriceRef, resolve: (r) => r.price }),
    contextWindow: t.exposeInt('contextWindow', { description: 'In tokens.' }),
    sloP95Ms: t.exposeFloat('sloP95Ms', {
      nullable: true,
      description: 'p95 latency above which the breaker opens, in milliseconds; null for none.',
    }),
    weight: t.exposeFloat('weight'),
    breaker: t.loadable({
      type: RouteBreaker,
      load: (ids: string[], ctx) => loadBreakerStats(ids, ctx),
      resolve: (r) => r.id,
    }),
    synthetic: t.field({
      type: SyntheticCheck,
      nullable: true,
      description: 'Null until the first synthetic check of this route.',
      resolve: (r, _a, ctx) => ctx.services.monitoring.synthetic.result(r.id) ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  routes: t.field({
    type: [Route],
    description: 'The route catalogue with live breaker state. Readable by every key: it holds no tenant data.',
    resolve: (_r, _a, ctx) => {
      assertAuthenticated(ctx);
      return [...ctx.services.config.routes.values()];
    },
  }),
  route: t.field({
    type: Route,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => {
      assertAuthenticated(ctx);
      return ctx.services.config.routes.get(String(id)) ?? null;
    },
  }),
}));

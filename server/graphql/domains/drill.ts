import { DrillInputSchema, type Drill } from '../../services/drills.js';
import { builder } from '../builder.js';
import { assertAdmin, assertStaff, type GraphQLContext } from '../context.js';
import { toGraphQLError } from '../errors.js';
import { badInput, parseInput } from '../validation.js';

const DrillRef = builder.objectRef<Drill>('Drill').implement({
  description: 'A fault profile on one route’s simulated model for a few minutes, to watch the fallback take over.',
  fields: (t) => ({
    routeId: t.exposeID('routeId'),
    model: t.exposeString('model', { description: 'The simulated model the profile applies to.' }),
    profile: t.field({
      type: 'JSON',
      description: 'The fault profile (see FaultProfileSchema).',
      resolve: (d) => d.profile,
    }),
    startedAt: t.field({ type: 'DateTime', resolve: (d) => d.startedAt }),
    endsAt: t.field({
      type: 'DateTime',
      description: 'When the model’s profile is restored.',
      resolve: (d) => d.endsAt,
    }),
  }),
});

const StartDrillInput = builder.inputType('StartDrillInput', {
  fields: (t) => ({
    routeId: t.id({ required: true }),
    profile: t.field({
      type: 'JSON',
      required: true,
      description: 'A fault profile, e.g. `{ "errorRates": { "500": 1 } }`.',
    }),
    durationSeconds: t.int({ required: true, description: '10 to 900.' }),
  }),
});

/** The route, or BAD_USER_INPUT naming the argument at `path`. */
function assertRoute(ctx: GraphQLContext, routeId: string, path: string): string {
  if (!ctx.services.config.routes.has(routeId)) throw badInput([{ path, message: `no route "${routeId}"` }]);
  return routeId;
}

builder.queryField('drills', (t) =>
  t.field({
    type: [DrillRef],
    description: 'Running drills, by route. Staff only.',
    resolve: (_r, _a, ctx) => {
      assertStaff(ctx);
      return ctx.services.drills.list();
    },
  }),
);

builder.mutationFields((t) => ({
  startDrill: t.field({
    type: DrillRef,
    description:
      'Admins only. Applies a fault profile to the route’s simulated model for `durationSeconds`, replacing a drill ' +
      'already running on it. DRILL_UNAVAILABLE when no simulator runs (real providers). Audited.',
    args: { input: t.arg({ type: StartDrillInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const actor = assertAdmin(ctx);
      const drill = parseInput(DrillInputSchema, { ...input, routeId: String(input.routeId) }, 'input');
      assertRoute(ctx, drill.routeId, 'input.routeId');
      try {
        return await ctx.services.drills.start(drill, actor);
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
  }),
  stopDrill: t.boolean({
    description: 'Admins only. Ends the route’s drill now and restores the model’s profile; false when none runs.',
    args: { routeId: t.arg.id({ required: true }) },
    resolve: async (_r, { routeId }, ctx) => {
      const actor = assertAdmin(ctx);
      try {
        return await ctx.services.drills.stop(assertRoute(ctx, String(routeId), 'routeId'), actor);
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
  }),
}));

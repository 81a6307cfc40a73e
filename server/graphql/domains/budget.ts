import { z } from 'zod';
import { BUDGET_BANDS, BudgetSettingsSchema, type BudgetSnapshot } from '../../../shared/contracts/budget.js';
import { budgetBand } from '../../../shared/engine/budget-guard.js';
import { builder } from '../builder.js';
import { assertAdmin, tenantScope, type GraphQLContext } from '../context.js';
import { clientError, toGraphQLError } from '../errors.js';
import { loadBudgets } from '../loaders.js';
import { badInput, parseInput } from '../validation.js';
import { Tenant } from './tenant.js';

/** Budget bands, from `normal` to `exhausted`; see shared/engine/budget-guard.ts. */
export const BudgetBandEnum = builder.enumType('BudgetBand', { values: BUDGET_BANDS });

/**
 * What the month's spend comes to at this pace: spend so far divided by the elapsed fraction of the UTC month.
 * Zero at the very start of a month, where there is no pace yet. In USD.
 */
export function projectMonthEnd(spentUsd: number, nowMs: number): number {
  const now = new Date(nowMs);
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const elapsed = (nowMs - start) / (end - start);
  return elapsed > 0 ? spentUsd / elapsed : 0;
}

/** A tenant's budget and this month's spend. Amounts in USD. */
export const Budget = builder.objectRef<BudgetSnapshot>('Budget').implement({
  fields: (t) => ({
    tenantId: t.exposeID('tenantId'),
    monthlyLimitUsd: t.exposeFloat('monthlyLimitUsd'),
    prepaidBalanceUsd: t.exposeFloat('prepaidBalanceUsd', {
      nullable: true,
      description: 'Null for post-paid tenants (no balance to run out).',
    }),
    dailyLimitUsd: t.exposeFloat('dailyLimitUsd', { nullable: true }),
    retryBudgetPerDay: t.exposeInt('retryBudgetPerDay', { nullable: true }),
    spentUsd: t.exposeFloat('spentUsd', { description: 'Charged this UTC month.' }),
    reservedUsd: t.exposeFloat('reservedUsd', { description: 'Held by requests in flight.' }),
    dailySpentUsd: t.exposeFloat('dailySpentUsd', { description: 'Charged this UTC day.' }),
    retriesUsedToday: t.exposeInt('retriesUsedToday'),
    usedFraction: t.float({
      nullable: true,
      description: '(spent + reserved) / monthly limit. Null when the limit is zero.',
      resolve: (b) => (b.monthlyLimitUsd > 0 ? (b.spentUsd + b.reservedUsd) / b.monthlyLimitUsd : null),
    }),
    band: t.field({
      type: BudgetBandEnum,
      description: 'The band the engine applies now, with the bands of the tenant’s live policy.',
      resolve: async (b, _a, ctx) => budgetBand(b, (await ctx.services.policies.livePolicy(b.tenantId)).budgetBands),
    }),
    projectedMonthEndUsd: t.float({
      description: 'Spend so far divided by the elapsed fraction of the UTC month.',
      resolve: (b, _a, ctx) => projectMonthEnd(b.spentUsd, ctx.services.clock.now()),
    }),
  }),
});

builder.objectField(Tenant, 'budget', (t) =>
  t.loadable({
    type: Budget,
    nullable: true,
    description: 'Null when the tenant has no budget (unlimited).',
    load: loadBudgets,
    sort: (b) => b.tenantId,
    resolve: (tenant) => tenant.id,
  }),
);

// numeric(18, 9) holds less than a billion dollars; a larger amount would fail in the database, after validation.
const MAX_USD = 999_999_999;
const SettingsInputSchema = BudgetSettingsSchema.extend({
  monthlyLimitUsd: BudgetSettingsSchema.shape.monthlyLimitUsd.max(MAX_USD),
  prepaidBalanceUsd: z.number().nonnegative().max(MAX_USD).nullable().default(null),
  dailyLimitUsd: z.number().nonnegative().max(MAX_USD).nullable().default(null),
});

const BudgetInput = builder.inputType('BudgetInput', {
  description: 'A tenant’s budget settings. Omitted nullable fields mean none (post-paid, no daily cap, no retries).',
  fields: (t) => ({
    monthlyLimitUsd: t.float({ required: true }),
    prepaidBalanceUsd: t.float({ description: 'Replaces the balance; null for post-paid.' }),
    dailyLimitUsd: t.float(),
    retryBudgetPerDay: t.int(),
  }),
});

const loadBudget = async (tenantId: string, ctx: GraphQLContext) => {
  const [budget] = await loadBudgets([tenantId], ctx);
  return budget ?? null;
};

const assertTenantExists = async (tenantId: string, ctx: GraphQLContext) => {
  if (!(await ctx.services.tenants.getTenant(tenantId))) throw clientError('NOT_FOUND', `no tenant "${tenantId}"`);
};

builder.queryField('budget', (t) =>
  t.loadable({
    type: Budget,
    nullable: true,
    description: 'A tenant’s budget; null when it has none. Tenant keys get their own and may omit tenantId.',
    args: { tenantId: t.arg.id() },
    load: loadBudgets,
    sort: (b) => b.tenantId,
    resolve: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId === null ? null : args.tenantId?.toString());
      if (!tenantId) throw badInput([{ path: 'tenantId', message: 'name a tenant' }]);
      return tenantId;
    },
  }),
);

builder.mutationFields((t) => ({
  setBudget: t.field({
    type: Budget,
    description: 'Sets or replaces a tenant’s budget. Spend so far is kept; the prepaid balance is replaced. Audited.',
    args: { tenantId: t.arg.id({ required: true }), input: t.arg({ type: BudgetInput, required: true }) },
    resolve: async (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const tenantId = String(args.tenantId);
      const settings = parseInput(SettingsInputSchema, args.input, 'input');
      await assertTenantExists(tenantId, ctx);
      await ctx.services.budgets.setBudget(tenantId, settings);
      await ctx.services.tenants.audit(actor, 'budget.set', tenantId, tenantId, settings);
      return (await loadBudget(tenantId, ctx))!;
    },
  }),
  topUpBudget: t.field({
    type: Budget,
    description: 'Adds to a prepaid balance (the tenant must have one). Audited.',
    args: { tenantId: t.arg.id({ required: true }), amountUsd: t.arg.float({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const tenantId = String(args.tenantId);
      const amountUsd = parseInput(z.number().positive().max(MAX_USD), args.amountUsd, 'amountUsd');
      await assertTenantExists(tenantId, ctx);
      const before = await loadBudget(tenantId, ctx);
      if (!before || before.prepaidBalanceUsd === null)
        throw badInput([{ path: 'tenantId', message: `tenant "${tenantId}" has no prepaid balance; set one first` }]);
      try {
        const balanceUsd = await ctx.services.budgets.topUp(tenantId, amountUsd);
        await ctx.services.tenants.audit(actor, 'budget.topped_up', tenantId, tenantId, { amountUsd, balanceUsd });
      } catch (e) {
        throw toGraphQLError(e);
      }
      return (await loadBudget(tenantId, ctx))!;
    },
  }),
}));

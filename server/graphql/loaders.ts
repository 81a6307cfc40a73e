import { and, desc, inArray, ne, or, sql } from 'drizzle-orm';
import { apiKeys, budgets, budgetUsage, decisions } from '../../drizzle/schema/index.js';
import type { BudgetSnapshot } from '../../shared/contracts/budget.js';
import type { BreakerStats } from '../../shared/engine/circuit-breaker.js';
import type { DecisionRow } from '../services/decision-queries.js';
import { API_KEY_COLUMNS, type ApiKeyRow, type TenantRow } from '../services/tenant-store.js';
import type { GraphQLContext } from './context.js';

/*
 * Batch functions for the dataloader plugin (`t.loadable`, `t.loadableGroup`): each takes every key a query asked for
 * and answers with one statement, so a page of 50 decisions costs one query per relation, not 50. Rows come back in
 * any order; the fields put them back with the plugin's `sort` / `group`. The plugin keeps one DataLoader per request
 * context, so a cached row never outlives the request that read it.
 */

/** Tenants with these ids. */
export function loadTenants(keys: readonly string[], ctx: GraphQLContext): Promise<TenantRow[]> {
  return ctx.services.tenants.getTenants(keys);
}

/** Decisions with these ids. */
export function loadDecisions(keys: readonly string[], ctx: GraphQLContext): Promise<DecisionRow[]> {
  return ctx.services.database.db
    .select()
    .from(decisions)
    .where(inArray(decisions.id, [...keys]));
}

/** API keys with these ids (never the hash). */
export function loadApiKeys(keys: readonly string[], ctx: GraphQLContext): Promise<ApiKeyRow[]> {
  return ctx.services.database.db
    .select(API_KEY_COLUMNS)
    .from(apiKeys)
    .where(inArray(apiKeys.id, [...keys]));
}

/** Every API key of these tenants, newest first; group by `tenantId`. */
export function loadApiKeysByTenant(keys: readonly string[], ctx: GraphQLContext): Promise<ApiKeyRow[]> {
  return ctx.services.database.db
    .select(API_KEY_COLUMNS)
    .from(apiKeys)
    .where(inArray(apiKeys.tenantId, [...keys]))
    .orderBy(desc(apiKeys.createdAt));
}

/**
 * Budget snapshots of these tenants (tenants without a budget have none), in two statements for any number of
 * tenants. Mirrors `PgBudgetStore.snapshot`: spend of the current UTC month and day, holds of every month.
 */
export async function loadBudgets(keys: readonly string[], ctx: GraphQLContext): Promise<BudgetSnapshot[]> {
  const iso = new Date(ctx.services.clock.now()).toISOString();
  const [month, day] = [iso.slice(0, 7), iso.slice(0, 10)];
  const ids = [...keys];
  const [settings, usage] = await Promise.all([
    ctx.services.database.db.select().from(budgets).where(inArray(budgets.tenantId, ids)),
    ctx.services.database.db
      .select()
      .from(budgetUsage)
      .where(
        and(
          inArray(budgetUsage.tenantId, ids),
          or(
            inArray(budgetUsage.period, [month, day]),
            // Holds made before the month rolled over still count, as in the store.
            and(sql`length(${budgetUsage.period}) = 7`, ne(budgetUsage.reservedUsd, 0)),
          ),
        ),
      ),
  ]);
  return settings.map((b) => {
    const rows = usage.filter((u) => u.tenantId === b.tenantId);
    const at = (period: string) => rows.find((u) => u.period === period);
    return {
      tenantId: b.tenantId,
      monthlyLimitUsd: b.monthlyLimitUsd,
      prepaidBalanceUsd: b.prepaidBalanceUsd,
      dailyLimitUsd: b.dailyLimitUsd,
      retryBudgetPerDay: b.retryBudgetPerDay,
      spentUsd: at(month)?.spentUsd ?? 0,
      reservedUsd: rows.filter((u) => u.period.length === 7).reduce((sum, u) => sum + u.reservedUsd, 0),
      dailySpentUsd: at(day)?.spentUsd ?? 0,
      retriesUsedToday: at(day)?.retriesUsed ?? 0,
    };
  });
}

/** Live breaker statistics by route id. In memory (or one Redis round trip each), but deduplicated per request. */
export function loadBreakerStats(keys: readonly string[], ctx: GraphQLContext): Promise<BreakerStats[]> {
  return Promise.all(keys.map((id) => ctx.services.engine.breakers.stats(id)));
}

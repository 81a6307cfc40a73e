import { and, asc, count, eq, gt, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { attempts, budgets, decisions } from '../../drizzle/schema/index.js';
import type { BudgetBand } from '../../shared/contracts/budget.js';
import type { DegradedReason } from '../../shared/contracts/completion.js';
import type { AttemptRecord, DecisionOutcome, FailureKind } from '../../shared/contracts/decision.js';
import type { Policy, TrafficClass } from '../../shared/contracts/policy.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import type { ReplayComparison, StoredAttempt, StoredDecision } from '../../shared/contracts/what-if.js';
import { BackstopError } from '../../shared/engine/errors.js';
import { observeRouteHealth } from '../../shared/engine/route-health.js';
import {
  compareReplays,
  isRoutedRequest,
  replayWindow,
  summarizeRecorded,
  type TenantBudget,
} from '../../shared/engine/what-if-replay.js';
import type { PolicyStore } from './policy-store.js';

/** Most decisions one replay reads; a larger window is refused (narrow it, or pick a tenant). */
export const MAX_REPLAY_DECISIONS = 200_000;
/** Decisions read per page, each page one statement with their attempts. */
export const REPLAY_PAGE_SIZE = 5_000;

export interface WhatIfInput {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  /** One tenant's decisions; all tenants when absent. */
  tenantId?: string;
  /** A validated draft; absent, the published policy is replayed on both sides. */
  draft?: Policy;
}

export interface WhatIfResult extends ReplayComparison {
  from: Date;
  to: Date;
  tenantId: string | null;
  /** Decisions replayed. */
  requests: number;
  /** Decisions of the window left out: a reviewer's answer, or a class this build does not know. */
  excluded: number;
  draftIsPublished: boolean;
}

export interface WhatIfDeps {
  db: Database;
  routes: ReadonlyMap<string, RouteSpec>;
  policies: Pick<PolicyStore, 'livePolicy'>;
}

const rejected = (message: string) => new BackstopError('REQUEST_REJECTED', message);

/**
 * Replays a window of the decision log under each tenant's published policy and under a draft, side by side, with
 * what really happened beside them (see `replayWindow` for the model). Reads the window in keyset pages of
 * `REPLAY_PAGE_SIZE` with only the columns the replay needs, and refuses windows over `MAX_REPLAY_DECISIONS`.
 * @example const result = await createWhatIfService({ db, routes, policies }).replay({ from, to, draft });
 */
export function createWhatIfService(deps: WhatIfDeps) {
  const { db } = deps;
  const inWindow = (input: WhatIfInput): SQL | undefined =>
    and(
      gte(decisions.startedAt, input.from),
      lt(decisions.startedAt, input.to),
      input.tenantId === undefined ? undefined : eq(decisions.tenantId, input.tenantId),
    );

  /** The window's decisions with their attempts, oldest first; throws REQUEST_REJECTED when it holds too many. */
  async function loadWindow(input: WhatIfInput): Promise<StoredDecision[]> {
    if (!(input.from < input.to)) throw rejected('a replay window needs from < to');
    const [total] = await db.select({ n: count() }).from(decisions).where(inWindow(input));
    if ((total?.n ?? 0) > MAX_REPLAY_DECISIONS) {
      throw rejected(
        `the window holds ${total!.n} decisions; a replay reads at most ${MAX_REPLAY_DECISIONS} (narrow it or pick a tenant)`,
      );
    }
    const out: StoredDecision[] = [];
    let after: { startedAt: Date; id: string } | undefined;
    for (;;) {
      const page = await db
        .select({ ...DECISION_COLUMNS, attempts: ATTEMPTS_JSON })
        .from(decisions)
        .where(
          and(
            inWindow(input),
            // The gte keeps each page a range scan on the time index; the or breaks ties within one instant.
            after && gte(decisions.startedAt, after.startedAt),
            after &&
              or(
                gt(decisions.startedAt, after.startedAt),
                and(eq(decisions.startedAt, after.startedAt), gt(decisions.id, after.id)),
              ),
          ),
        )
        .orderBy(asc(decisions.startedAt), asc(decisions.id))
        .limit(REPLAY_PAGE_SIZE);
      for (const row of page) out.push(toStored(row));
      const last = page.at(-1);
      if (!last || page.length < REPLAY_PAGE_SIZE) break;
      after = { startedAt: last.startedAt, id: last.id };
    }
    return out;
  }

  /** Monthly limits, and what each tenant spent in the month of `from` before it, for the band projection. */
  async function budgetsOf(input: WhatIfInput, tenantIds: string[]): Promise<Map<string, TenantBudget>> {
    if (tenantIds.length === 0) return new Map();
    const monthStart = new Date(Date.UTC(input.from.getUTCFullYear(), input.from.getUTCMonth(), 1));
    const month = monthStart.toISOString().slice(0, 7);
    const [limits, spent] = await Promise.all([
      db
        .select({ tenantId: budgets.tenantId, monthlyLimitUsd: budgets.monthlyLimitUsd })
        .from(budgets)
        .where(inArray(budgets.tenantId, tenantIds)),
      db
        .select({
          tenantId: decisions.tenantId,
          usd: sql<number>`coalesce(sum(${decisions.totalCostUsd}), 0)`.mapWith(Number),
        })
        .from(decisions)
        .where(
          and(
            gte(decisions.startedAt, monthStart),
            lt(decisions.startedAt, input.from),
            inArray(decisions.tenantId, tenantIds),
          ),
        )
        .groupBy(decisions.tenantId),
    ]);
    const before = new Map(spent.map((s) => [s.tenantId, s.usd]));
    return new Map(
      limits.map((l) => [
        l.tenantId,
        { monthlyLimitUsd: l.monthlyLimitUsd, spentBeforeUsd: before.get(l.tenantId) ?? 0, month },
      ]),
    );
  }

  return {
    loadWindow,

    /** The published and draft replays of the window, side by side with what was recorded. */
    async replay(input: WhatIfInput): Promise<WhatIfResult> {
      const all = await loadWindow(input);
      const window = all.filter(isRoutedRequest);
      const tenantIds = [...new Set(window.map((d) => d.tenantId))].sort();
      const live = new Map<string, Policy>();
      for (const t of tenantIds) live.set(t, await deps.policies.livePolicy(t));
      const publishedOf = (tenantId: string) => live.get(tenantId)!;
      const tenantBudgets = await budgetsOf(input, tenantIds);
      // One health model for both sides, so that a difference comes from the policies alone.
      const common = {
        routes: deps.routes,
        decisions: window,
        health: observeRouteHealth(window),
        budgets: tenantBudgets,
      };
      const published = replayWindow({ ...common, policy: publishedOf });
      const draft = input.draft ? replayWindow({ ...common, policy: input.draft }) : published;
      return {
        ...compareReplays(published, draft, { recorded: summarizeRecorded(window) }),
        from: input.from,
        to: input.to,
        tenantId: input.tenantId ?? null,
        requests: window.length,
        excluded: all.length - window.length,
        draftIsPublished: !input.draft,
      };
    },
  };
}
export type WhatIfService = ReturnType<typeof createWhatIfService>;

const DECISION_COLUMNS = {
  id: decisions.id,
  tenantId: decisions.tenantId,
  trafficClass: decisions.trafficClass,
  featureId: decisions.featureId,
  sensitive: decisions.sensitive,
  budgetBand: decisions.budgetBand,
  outcome: decisions.outcome,
  originalRouteId: decisions.originalRouteId,
  finalRouteId: decisions.finalRouteId,
  finalTier: decisions.finalTier,
  degradedReasons: decisions.degradedReasons,
  errorCode: decisions.errorCode,
  startedAt: decisions.startedAt,
  totalLatencyMs: decisions.totalLatencyMs,
  totalCostUsd: decisions.totalCostUsd,
  promptChars: decisions.promptChars,
};

/**
 * A decision's attempts in index order, as one JSON array of tuples (see `toAttempt`): one correlated subquery on the
 * attempts' primary key per decision, so a page of decisions and all their attempts is one statement.
 */
const ATTEMPTS_JSON = sql<unknown>`(select json_agg(json_build_array(${attempts.tier}, ${attempts.routeId}, ${attempts.outcome}, ${attempts.skipReason}, ${attempts.failureKind}, ${attempts.retry}, (extract(epoch from ${attempts.startedAt}) * 1000)::bigint, ${attempts.latencyMs}, ${attempts.inputTokens}, ${attempts.outputTokens}) order by ${attempts.index}) from ${attempts} where ${attempts.decisionId} = ${decisions.id})`;

type AttemptTuple = [number, string, string, string | null, string | null, number, number, number, number, number];

function toAttempt(t: AttemptTuple): StoredAttempt {
  const [tier, routeId, outcome, skipReason, failureKind, retry, startedAtMs, latencyMs, inputTokens, outputTokens] = t;
  return {
    tier,
    routeId,
    outcome: outcome as AttemptRecord['outcome'],
    skipReason: skipReason as AttemptRecord['skipReason'] | null,
    failureKind: failureKind as FailureKind | null,
    retry,
    startedAtMs: Number(startedAtMs),
    latencyMs,
    inputTokens,
    outputTokens,
  };
}

type DecisionColumns = Pick<typeof decisions.$inferSelect, keyof typeof DECISION_COLUMNS> & { attempts: unknown };

// Rows hold the contract's closed sets as text: the writer only ever stores the contract's values.
function toStored(row: DecisionColumns): StoredDecision {
  const { startedAt, attempts: json, ...rest } = row;
  // PGlite and postgres.js parse json columns; a driver that does not hands over the text.
  const tuples = (typeof json === 'string' ? JSON.parse(json) : json) as AttemptTuple[] | null;
  return {
    ...rest,
    trafficClass: row.trafficClass as TrafficClass,
    budgetBand: row.budgetBand as BudgetBand,
    outcome: row.outcome as DecisionOutcome,
    degradedReasons: row.degradedReasons as DegradedReason[],
    startedAtMs: startedAt.getTime(),
    attempts: (tuples ?? []).map(toAttempt),
  };
}

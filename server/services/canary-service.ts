import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../drizzle/client.js';
import { canaries, decisions, policyVersions } from '../../drizzle/schema/index.js';
import type {
  Canary,
  CanaryArmStats,
  CanaryComparison,
  CanaryStatus,
  StartCanaryInput,
} from '../../shared/contracts/canary.js';
import type { CompletionRequest } from '../../shared/contracts/completion.js';
import type { CanaryArm } from '../../shared/contracts/decision.js';
import type { Policy, TrafficClass } from '../../shared/contracts/policy.js';
import { canaryArm } from '../../shared/engine/canary-assignment.js';
import type { Clock } from '../../shared/engine/ports.js';
import { clientError } from '../graphql/errors.js';
import { createTableSync } from './table-sync.js';
import { GLOBAL_SCOPE, type PolicyStore } from './policy-store.js';
import type { RedisConnections } from './redis.js';
import type { Principal, TenantStore } from './tenant-store.js';

/** A running canary as the request path holds it: the row and the candidate policy document. */
export interface RunningCanary extends Canary {
  candidate: Policy;
}

/** The policy a request runs under, and the canary arm that chose it (absent outside any canary). */
export interface CanaryRouting {
  policy: Policy;
  canary?: { id: string; arm: CanaryArm };
}

export interface CanaryServiceOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  policies: PolicyStore;
  audit: TenantStore['audit'];
  /** Tells the other instances of a start or an end at once; without it they read the table every second. */
  redis?: RedisConnections | undefined;
  /** Time between two reads of the running canaries without Redis, in milliseconds. Defaults to 1 000. */
  pollEveryMs?: number;
}

/** Who ended a canary automatically, in `endedBy`. */
export const SYSTEM_ACTOR = 'system';

type Row = typeof canaries.$inferSelect;
const toCanary = (r: Row): Canary => ({
  id: r.id,
  scope: r.scope,
  trafficClass: r.trafficClass as TrafficClass | null,
  candidateId: r.candidateId,
  candidateVersion: r.candidateVersion,
  baselineVersion: r.baselineVersion,
  percent: r.percent,
  stickyBy: r.stickyBy,
  maxErrorRate: r.maxErrorRate,
  maxFallbackRate: r.maxFallbackRate,
  maxP95Ms: r.maxP95Ms,
  minRequests: r.minRequests,
  status: r.status,
  endedReason: r.endedReason,
  startedBy: r.startedBy,
  startedAtMs: r.startedAt.getTime(),
  endedBy: r.endedBy,
  endedAtMs: r.endedAt?.getTime() ?? null,
});

const EMPTY_ARM: CanaryArmStats = {
  requests: 0,
  successRate: null,
  errorRate: null,
  fallbackRate: null,
  avgCostUsd: null,
  totalCostUsd: 0,
  p95LatencyMs: null,
};

const scopeTenant = (scope: string) => (scope === GLOBAL_SCOPE ? null : scope);

/**
 * Canary releases: a candidate policy version served to a sticky share of a scope's traffic, compared with the
 * baseline, then promoted or rolled back (by an admin, or by `canary-guard.ts` on a crossed threshold). Running
 * canaries are held in memory for the request path and kept in step across instances like feature flags.
 * @example
 * const canaries = createCanaryService({ db, clock, logger, policies, audit: tenants.audit, redis });
 * await canaries.start(); const { policy, canary } = canaries.route(tenantId, live, request);
 */
export function createCanaryService(options: CanaryServiceOptions) {
  const { db, clock, policies } = options;
  let byScope = new Map<string, RunningCanary>();

  const load = async () => {
    const rows = await db
      .select({ canary: canaries, document: policyVersions.document })
      .from(canaries)
      .innerJoin(policyVersions, eq(policyVersions.id, canaries.candidateId))
      .where(eq(canaries.status, 'running'));
    const next = new Map(rows.map((r) => [r.canary.scope, { ...toCanary(r.canary), candidate: r.document as Policy }]));
    // A canary that ended elsewhere may have been promoted: the scope's live policy is to be read again.
    for (const [scope, was] of byScope) if (next.get(scope)?.id !== was.id) policies.invalidate(scope);
    byScope = next;
  };
  const sync = createTableSync({
    what: 'canaries',
    channel: 'canaries',
    clock,
    logger: options.logger,
    redis: options.redis,
    load,
    ...(options.pollEveryMs !== undefined && { pollEveryMs: options.pollEveryMs }),
  });

  const getRow = async (id: string) => {
    const [row] = await db.select().from(canaries).where(eq(canaries.id, id));
    return row;
  };

  /** Ends a running canary; CONFLICT when it already ended (another admin, or the guard, got there first). */
  const end = async (id: string, status: Exclude<CanaryStatus, 'running'>, endedBy: string, reason: string) => {
    const [row] = await db
      .update(canaries)
      .set({ status, endedBy, endedReason: reason, endedAt: new Date(clock.now()) })
      .where(and(eq(canaries.id, id), eq(canaries.status, 'running')))
      .returning();
    if (!row) {
      const found = await getRow(id);
      throw found
        ? clientError('CONFLICT', `canary ${id} already ended (${found.status.replace('_', ' ')})`)
        : clientError('NOT_FOUND', `no canary "${id}"`);
    }
    return row;
  };

  const changed = async () => {
    await sync.changed();
  };

  return {
    /**
     * Starts a canary: validates the draft, stores it as the scope's next version with status `canary` and starts
     * serving it. CANARY_RUNNING when the scope already runs one; BAD_USER_INPUT (issues) for an invalid draft.
     */
    async startCanary(actor: Principal, input: StartCanaryInput): Promise<Canary> {
      const { scope } = input;
      const running = async () =>
        (
          await db
            .select({ id: canaries.id })
            .from(canaries)
            .where(and(eq(canaries.scope, scope), isRunning))
        )[0];
      const already = await running();
      if (already) throw canaryRunning(scope, already.id);
      const baseline = await policies.latest(scope).then((own) => own ?? policies.latest(GLOBAL_SCOPE));
      const candidate = await policies.stageCanary(actor, scope, input.document, input.note ?? undefined);
      let row: Row | undefined;
      try {
        [row] = await db
          .insert(canaries)
          .values({
            scope,
            trafficClass: input.trafficClass ?? null,
            candidateId: candidate.id,
            candidateVersion: candidate.version,
            baselineVersion: baseline?.version ?? 1,
            percent: input.percent,
            stickyBy: input.stickyBy,
            maxErrorRate: input.maxErrorRate ?? null,
            maxFallbackRate: input.maxFallbackRate ?? null,
            maxP95Ms: input.maxP95Ms ?? null,
            minRequests: input.minRequests,
            startedBy: actor.keyId,
            startedAt: new Date(clock.now()),
          })
          .returning();
      } catch (e) {
        // Two starts raced past the check: the unique index keeps one; the loser's candidate never serves.
        await policies.retireCanary(candidate.id);
        const winner = await running();
        if (winner) throw canaryRunning(scope, winner.id);
        throw e;
      }
      const canary = toCanary(row!);
      await changed();
      await options.audit(actor, 'canary.started', `${scope}@${candidate.version}`, scopeTenant(scope), {
        canaryId: canary.id,
        percent: canary.percent,
        stickyBy: canary.stickyBy,
        trafficClass: canary.trafficClass,
      });
      return canary;
    },

    /** Canaries, newest first (up to 100); `scopes` narrows to those scopes. */
    async list(filter: { scopes?: string[]; status?: CanaryStatus } = {}): Promise<Canary[]> {
      const where: (SQL | undefined)[] = [
        filter.scopes && inArray(canaries.scope, filter.scopes),
        filter.status && eq(canaries.status, filter.status),
      ];
      const rows = await db
        .select()
        .from(canaries)
        .where(and(...where))
        .orderBy(desc(canaries.startedAt), desc(canaries.id))
        .limit(100);
      return rows.map(toCanary);
    },

    async get(id: string): Promise<Canary | undefined> {
      const row = await getRow(id);
      return row && toCanary(row);
    },

    /** Both arms of each canary from the decision log, in one query for all `ids`. */
    async compare(ids: readonly string[]): Promise<Map<string, CanaryComparison>> {
      const out = new Map(ids.map((id) => [id, { canary: EMPTY_ARM, baseline: EMPTY_ARM }]));
      if (ids.length === 0) return out;
      const rows = await db
        .select({
          id: decisions.canaryId,
          arm: decisions.canaryArm,
          requests: sql<number>`count(*)::int`,
          answered: sql<number>`count(*) filter (where ${decisions.outcome} in ('success', 'degraded'))::int`,
          failed: sql<number>`count(*) filter (where ${decisions.outcome} = 'failed')::int`,
          fallbacks: sql<number>`count(*) filter (where ${decisions.finalTier} > 0)::int`,
          cost: sql<string>`coalesce(sum(${decisions.totalCostUsd}), 0)`,
          p95: sql<number | null>`percentile_cont(0.95) within group (order by ${decisions.totalLatencyMs})`,
        })
        .from(decisions)
        .where(inArray(decisions.canaryId, [...ids]))
        .groupBy(decisions.canaryId, decisions.canaryArm);
      for (const r of rows) {
        const pair = out.get(r.id!);
        if (!pair || (r.arm !== 'canary' && r.arm !== 'baseline')) continue;
        const n = Number(r.requests);
        const cost = Number(r.cost);
        pair[r.arm] = {
          requests: n,
          successRate: Number(r.answered) / n,
          errorRate: Number(r.failed) / n,
          fallbackRate: Number(r.fallbacks) / n,
          avgCostUsd: cost / n,
          totalCostUsd: cost,
          p95LatencyMs: r.p95 === null ? null : Number(r.p95),
        };
      }
      return out;
    },

    /** Makes the candidate the scope's live version and ends the canary. Audited. */
    async promote(actor: Principal, id: string): Promise<Canary> {
      const row = await end(id, 'promoted', actor.keyId, 'promoted by admin');
      const live = await policies.promoteCanary(actor, row.candidateId).catch(async (e: unknown) => {
        // The candidate could not go live: the canary stays running rather than claim a promotion.
        await db
          .update(canaries)
          .set({ status: 'running', endedBy: null, endedReason: null, endedAt: null })
          .where(eq(canaries.id, id));
        throw e;
      });
      await changed();
      await options.audit(actor, 'canary.promoted', `${row.scope}@${live.version}`, scopeTenant(row.scope), {
        canaryId: id,
      });
      return toCanary(row);
    },

    /** Ends the canary; its candidate never goes live. `actor` null: the guard, with the threshold as `reason`. */
    async rollback(actor: Principal | null, id: string, reason?: string): Promise<Canary> {
      const by = actor?.keyId ?? SYSTEM_ACTOR;
      const row = await end(id, 'rolled_back', by, reason ?? (actor ? 'rolled back by admin' : 'rolled back'));
      await policies.retireCanary(row.candidateId);
      await changed();
      await options.audit(actor, 'canary.rolled_back', `${row.scope}@${row.candidateVersion}`, scopeTenant(row.scope), {
        canaryId: id,
        reason: row.endedReason,
      });
      return toCanary(row);
    },

    /**
     * The request path, from memory: the canary of the scope the tenant's live policy comes from (so a global
     * canary leaves tenants with a policy of their own alone), and the arm the request falls on.
     */
    route(live: { scope: string; policy: Policy }, request: CompletionRequest): CanaryRouting {
      const canary = byScope.get(live.scope);
      if (!canary) return { policy: live.policy };
      const arm = canaryArm(canary, request, live.policy.rules);
      if (!arm) return { policy: live.policy };
      return { policy: arm === 'canary' ? canary.candidate : live.policy, canary: { id: canary.id, arm } };
    },

    /** The running canary with this id, from memory. */
    running(id: string): RunningCanary | undefined {
      for (const c of byScope.values()) if (c.id === id) return c;
      return undefined;
    },

    reload: sync.reload,
    start: sync.start,
    close: sync.close,
  };
}
export type CanaryService = ReturnType<typeof createCanaryService>;

const isRunning = eq(canaries.status, 'running');

function canaryRunning(scope: string, id: string) {
  return clientError('CANARY_RUNNING', `a canary already runs for scope "${scope}"; promote or roll it back first`, {
    canaryId: id,
  });
}

import { and, eq } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { idempotencyKeys } from '../../drizzle/schema/index.js';
import type { CompletionRequest, CompletionResult } from '../../shared/contracts/completion.js';
import type { AttemptRecord } from '../../shared/contracts/decision.js';
import { DecisionDraft } from '../../shared/engine/decision-draft.js';
import { EventEmitter } from '../../shared/engine/events.js';
import type { FallbackEngine } from '../../shared/engine/fallback-engine.js';
import type { Clock, DecisionSink, WorkQueue } from '../../shared/engine/ports.js';
import { applyRules } from '../../shared/engine/routing.js';
import type { EngineStreamEvent, StreamFailoverMode } from '../../shared/engine/stream-session.js';
import { clientError } from '../graphql/errors.js';
import type { CanaryRouting, CanaryService } from './canary-service.js';
import type { PolicyStore } from './policy-store.js';
import type { RateLimitRefusal, RateLimits, RateLimitTicket } from './rate-limits.js';
import { DEFAULT_TENANT, type Principal, type TenantStore } from './tenant-store.js';
import { standInResult } from '../../shared/engine/stand-in-result.js';

export interface CompletionCall {
  /** Which tenant to act for; tenant keys may only name their own, admins default to `default`. */
  tenantId?: string | null | undefined;
  request: CompletionRequest;
  requestId?: string;
  signal?: AbortSignal;
}

/**
 * Runs completions for an authenticated caller: tenant, live policy and idempotency, then the engine. A batch
 * request of a tenant whose batch traffic is paused is held as a `resume` job instead, with no provider call.
 */
export function createCompletionService(deps: {
  db: Database;
  engine: FallbackEngine;
  policies: PolicyStore;
  tenants: TenantStore;
  workQueue: WorkQueue;
  decisionSink: DecisionSink;
  clock: Clock;
  newId: () => string;
  /** Per-minute limits by tenant and key, checked before the engine runs. Defaults to none. */
  rateLimits?: Pick<RateLimits, 'admit' | 'settle'> | undefined;
  /** Running canaries: a request of a canary's scope runs under its arm's policy. Defaults to none. */
  canaries?: Pick<CanaryService, 'route'> | undefined;
}) {
  const tenantFor = async (principal: Principal, requested: string | null | undefined): Promise<string> => {
    if (principal.role === 'viewer') throw clientError('FORBIDDEN', 'a viewer key cannot request completions');
    if (principal.role === 'tenant') {
      if (requested && requested !== principal.tenantId)
        throw clientError('FORBIDDEN', 'a tenant key can only complete for its own tenant');
      return principal.tenantId!;
    }
    const tenantId = requested ?? DEFAULT_TENANT;
    if (tenantId !== DEFAULT_TENANT && !(await deps.tenants.getTenant(tenantId))) {
      throw clientError('NOT_FOUND', `no tenant "${tenantId}"`);
    }
    return tenantId;
  };

  /** Takes the request from the tenant's and the key's rate limits, or refuses it (RATE_LIMITED) with nothing charged. */
  const admit = async (principal: Principal, tenantId: string, request: CompletionRequest) => {
    if (!deps.rateLimits) return undefined;
    const admission = await deps.rateLimits.admit({ tenantId, keyId: principal.keyId, request });
    if (!admission.ok) throw rateLimited(admission);
    return admission.ticket;
  };
  const settle = (ticket: RateLimitTicket | undefined, result: CompletionResult) => {
    if (ticket) deps.rateLimits?.settle(ticket, result.usage.outputTokens);
  };

  /** The tenant's live policy, or the candidate when a canary of its scope puts the request on the canary arm. */
  const policyFor = async (tenantId: string, request: CompletionRequest): Promise<CanaryRouting> => {
    const live = await deps.policies.liveScoped(tenantId);
    return deps.canaries ? deps.canaries.route(live, request) : { policy: live.policy };
  };

  /** Holds a paused tenant's batch request as a resume job and records its decision; undefined when not paused. */
  const holdIfPaused = async (
    tenantId: string,
    { policy, canary }: CanaryRouting,
    call: CompletionCall,
  ): Promise<CompletionResult | undefined> => {
    const { request } = call;
    if (applyRules(policy.rules, request).trafficClass !== 'batch') return undefined;
    if (!(await deps.tenants.isBatchPaused(tenantId))) return undefined;
    const decisionId = call.requestId ?? deps.newId();
    const startedAtMs = deps.clock.now();
    const { jobId } = await deps.workQueue.enqueue({
      kind: 'resume',
      tenantId,
      decisionId,
      request,
      reason: 'batch traffic paused for the tenant',
    });
    const attempts = new EventEmitter<{ decisionId: string; attempt: AttemptRecord }>();
    const draft = new DecisionDraft(decisionId, tenantId, request, startedAtMs, policy.version, attempts, 'batch');
    draft.reason('paused');
    draft.canary = canary;
    const decision = draft.finish(deps.clock.now(), { outcome: 'queued', jobId });
    deps.decisionSink.record(decision, { request });
    return standInResult(decision, {
      status: 'queued',
      content: '',
      source: 'queue',
      routeId: null,
      tier: null,
      uncertain: false,
      attempts: 0,
      policyVersion: policy.version,
      jobId,
    });
  };

  return {
    tenantFor,

    async complete(principal: Principal, call: CompletionCall): Promise<CompletionResult> {
      const tenantId = await tenantFor(principal, call.tenantId);
      const key = call.request.idempotencyKey;
      if (key) {
        const [hit] = await deps.db
          .select({ result: idempotencyKeys.result })
          .from(idempotencyKeys)
          .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)));
        if (hit) return hit.result as CompletionResult;
      }
      const ticket = await admit(principal, tenantId, call.request);
      const routing = await policyFor(tenantId, call.request);
      const held = await holdIfPaused(tenantId, routing, call);
      const result =
        held ??
        (await deps.engine.complete({
          tenantId,
          ...routing,
          request: call.request,
          ...(call.requestId && { requestId: call.requestId }),
          ...(call.signal && { signal: call.signal }),
        }));
      if (key) {
        await deps.db
          .insert(idempotencyKeys)
          .values({ tenantId, key, decisionId: result.decisionId, result })
          .onConflictDoNothing();
      }
      settle(ticket, result);
      return result;
    },

    async *stream(
      principal: Principal,
      call: CompletionCall,
      mode?: StreamFailoverMode,
    ): AsyncGenerator<EngineStreamEvent> {
      const tenantId = await tenantFor(principal, call.tenantId);
      const ticket = await admit(principal, tenantId, call.request);
      const routing = await policyFor(tenantId, call.request);
      const held = await holdIfPaused(tenantId, routing, call);
      if (held) {
        yield { type: 'done', result: held };
        return;
      }
      const events = deps.engine.stream(
        {
          tenantId,
          ...routing,
          request: call.request,
          ...(call.requestId && { requestId: call.requestId }),
          ...(call.signal && { signal: call.signal }),
        },
        mode ? { mode } : {},
      );
      for await (const event of events) {
        if (event.type === 'done') settle(ticket, event.result);
        yield event;
      }
    },
  };
}
export type CompletionService = ReturnType<typeof createCompletionService>;

/** The GraphQL error for a refused request; the OpenAI endpoint turns it into a 429 with `Retry-After`. */
export function rateLimited(refusal: RateLimitRefusal) {
  const seconds = Math.ceil(refusal.retryAfterMs / 1000);
  return clientError(
    'RATE_LIMITED',
    `rate limit reached: ${refusal.limit} ${refusal.dimension} per minute for ${refusal.scope} "${refusal.id}"; retry in ${seconds} s`,
    {
      retryAfterMs: refusal.retryAfterMs,
      scope: refusal.scope,
      dimension: refusal.dimension,
      limit: refusal.limit,
    },
  );
}

import { and, eq } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { idempotencyKeys } from '../../drizzle/schema/index.js';
import type { CompletionRequest, CompletionResult } from '../../shared/contracts/completion.js';
import type { FallbackEngine } from '../../shared/engine/fallback-engine.js';
import type { EngineStreamEvent, StreamFailoverMode } from '../../shared/engine/stream-session.js';
import { clientError } from '../graphql/errors.js';
import type { PolicyStore } from './policy-store.js';
import { DEFAULT_TENANT, type Principal, type TenantStore } from './tenant-store.js';

export interface CompletionCall {
  /** Which tenant to act for; tenant keys may only name their own, admins default to `default`. */
  tenantId?: string | null | undefined;
  request: CompletionRequest;
  requestId?: string;
  signal?: AbortSignal;
}

/** Runs completions for an authenticated caller: tenant, live policy and idempotency, then the engine. */
export function createCompletionService(deps: {
  db: Database;
  engine: FallbackEngine;
  policies: PolicyStore;
  tenants: TenantStore;
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
      const policy = await deps.policies.livePolicy(tenantId);
      const result = await deps.engine.complete({
        tenantId,
        policy,
        request: call.request,
        ...(call.requestId && { requestId: call.requestId }),
        ...(call.signal && { signal: call.signal }),
      });
      if (key) {
        await deps.db
          .insert(idempotencyKeys)
          .values({ tenantId, key, decisionId: result.decisionId, result })
          .onConflictDoNothing();
      }
      return result;
    },

    async *stream(
      principal: Principal,
      call: CompletionCall,
      mode?: StreamFailoverMode,
    ): AsyncGenerator<EngineStreamEvent> {
      const tenantId = await tenantFor(principal, call.tenantId);
      const policy = await deps.policies.livePolicy(tenantId);
      yield* deps.engine.stream(
        {
          tenantId,
          policy,
          request: call.request,
          ...(call.requestId && { requestId: call.requestId }),
          ...(call.signal && { signal: call.signal }),
        },
        mode ? { mode } : {},
      );
    },
  };
}
export type CompletionService = ReturnType<typeof createCompletionService>;

import type { Principal } from '../services/tenant-store.js';
import type { BackstopServices } from '../services/services.js';
import { clientError } from './errors.js';

export interface GraphQLContext {
  principal: Principal | null;
  services: BackstopServices;
  requestId: string;
  signal: AbortSignal;
}

/** The caller, or UNAUTHENTICATED. */
export function assertAuthenticated(ctx: GraphQLContext): Principal {
  if (!ctx.principal) throw clientError('UNAUTHENTICATED', 'a valid API key is required (Authorization: Bearer <key>)');
  return ctx.principal;
}

/** Admins only. */
export function assertAdmin(ctx: GraphQLContext): Principal {
  const p = assertAuthenticated(ctx);
  if (p.role !== 'admin') throw clientError('FORBIDDEN', 'this needs an admin key');
  return p;
}

/** Admins and viewers (read-only staff). */
export function assertStaff(ctx: GraphQLContext): Principal {
  const p = assertAuthenticated(ctx);
  if (p.role === 'tenant') throw clientError('FORBIDDEN', 'this needs an admin or viewer key');
  return p;
}

/**
 * The tenant a read or write applies to. Tenant keys are pinned to their own tenant: asking for another is FORBIDDEN.
 * Staff may name any tenant, or none (all tenants) where `optional`.
 */
export function tenantScope(ctx: GraphQLContext, requested: string | null | undefined): string | undefined {
  const p = assertAuthenticated(ctx);
  if (p.role === 'tenant') {
    if (requested && requested !== p.tenantId)
      throw clientError('FORBIDDEN', 'a tenant key can only use its own tenant');
    return p.tenantId!;
  }
  return requested ?? undefined;
}

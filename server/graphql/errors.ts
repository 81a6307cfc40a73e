import { GraphQLError } from 'graphql';
import { isBackstopError, type BackstopError } from '../../shared/engine/errors.js';

/** Stable GraphQL `extensions.code` values. */
export const GRAPHQL_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'QUOTA_EXHAUSTED',
  'BUDGET_BAND_BLOCKED',
  'DOWNGRADE_FORBIDDEN',
  'ALL_TIERS_FAILED',
  'CIRCUIT_OPEN',
  'DEADLINE_EXCEEDED',
  'REQUEST_REJECTED',
  'RATE_LIMITED',
  'DRILL_UNAVAILABLE',
  'CANARY_RUNNING',
  'INTERNAL_SERVER_ERROR',
] as const;
export type GraphQLCode = (typeof GRAPHQL_CODES)[number];

const HTTP_STATUS: Partial<Record<GraphQLCode, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403 };

/** A client-facing error: yoga's masking lets GraphQLErrors through and hides everything else. */
export function clientError(
  code: GraphQLCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(HTTP_STATUS[code] && { http: { status: HTTP_STATUS[code] } }) },
  });
}

/** The one translation of engine errors to GraphQL errors. */
export function toGraphQLError(e: unknown): unknown {
  if (!isBackstopError(e)) return e;
  const err = e as BackstopError & { decisionId?: string; issues?: unknown; attempts?: unknown[] };
  const extra: Record<string, unknown> = {};
  if (err.decisionId) extra.decisionId = err.decisionId;
  if (err.attempts) extra.attempts = err.attempts.length;
  switch (err.code) {
    case 'INVALID_POLICY':
      return clientError('BAD_USER_INPUT', err.message, { issues: err.issues });
    case 'INTERNAL':
    case 'PROVIDER_ERROR':
      return e; // masked by yoga
    default:
      return clientError(err.code, err.message, extra);
  }
}

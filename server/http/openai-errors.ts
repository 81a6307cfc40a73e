import { isBackstopError } from '../../shared/engine/errors.js';
import { redact } from '../services/redaction.js';

/** HTTP statuses the OpenAI-compatible endpoint answers errors with; the `openai` client maps each to a class. */
export type OpenAIErrorStatus = 400 | 401 | 403 | 404 | 413 | 422 | 429 | 500 | 503 | 504;

/** OpenAI's error envelope. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error ready to send: status, envelope, and what the response headers add. */
export interface OpenAIErrorReply {
  status: OpenAIErrorStatus;
  body: OpenAIErrorBody;
  /** The stable Backstop code (`QUOTA_EXHAUSTED`, ...), sent as `x-backstop-error-code`. */
  backstopCode?: string;
  /** Set when the engine recorded a decision for the failed request. */
  decisionId?: string;
  /** False when retrying cannot help: sent as `x-should-retry: false`, which the `openai` client obeys. */
  retry?: boolean;
  /** When the request may be sent again, in milliseconds: sent as `Retry-After` (seconds) and `retry-after-ms`. */
  retryAfterMs?: number;
}

interface Mapping {
  status: OpenAIErrorStatus;
  type: string;
  code: string;
  retry?: false;
}

/**
 * The one translation of Backstop error codes (engine codes and the completion service's GraphQL codes) to OpenAI's.
 * Anything not listed is unexpected: 500 with a generic message.
 */
export const OPENAI_ERRORS: Readonly<Record<string, Mapping>> = {
  UNAUTHENTICATED: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  FORBIDDEN: { status: 403, type: 'permission_error', code: 'permission_denied' },
  NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'not_found' },
  BAD_USER_INPUT: { status: 400, type: 'invalid_request_error', code: 'invalid_value' },
  REQUEST_REJECTED: { status: 400, type: 'invalid_request_error', code: 'request_rejected', retry: false },
  // A spent budget does not come back within the client's retry window: tell the client not to retry.
  QUOTA_EXHAUSTED: { status: 429, type: 'insufficient_quota', code: 'insufficient_quota', retry: false },
  BUDGET_BAND_BLOCKED: { status: 429, type: 'insufficient_quota', code: 'budget_band_blocked', retry: false },
  // Backstop's own per-minute limits (tenant, key); the reply carries Retry-After.
  RATE_LIMITED: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  // OpenAI has no equivalent. 422 (UnprocessableEntityError in the client) says "this request, as asked, cannot be
  // served" without suggesting a key problem (403) or inviting blind retries (5xx): the caller must drop
  // `sensitive` or wait for a premium route.
  DOWNGRADE_FORBIDDEN: { status: 422, type: 'invalid_request_error', code: 'downgrade_forbidden', retry: false },
  ALL_TIERS_FAILED: { status: 503, type: 'server_error', code: 'all_tiers_failed' },
  CIRCUIT_OPEN: { status: 503, type: 'server_error', code: 'all_tiers_failed' },
  DEADLINE_EXCEEDED: { status: 504, type: 'server_error', code: 'deadline_exceeded' },
};

const INTERNAL_MESSAGE = 'The server had an error while processing your request.';

/** Builds a reply; `param` names the offending field or header. */
export function errorReply(
  status: OpenAIErrorStatus,
  type: string,
  code: string | null,
  message: string,
  param: string | null = null,
): OpenAIErrorReply {
  return { status, body: { error: { message, type, param, code } } };
}

/** A 400 naming the bad field. */
export function invalidRequest(message: string, param: string | null): OpenAIErrorReply {
  return errorReply(400, 'invalid_request_error', 'invalid_value', message, param);
}

/** The 401 for a missing, unknown or revoked key. Never echoes the key. */
export function invalidApiKey(): OpenAIErrorReply {
  return errorReply(
    401,
    'invalid_request_error',
    'invalid_api_key',
    'Missing or invalid API key: send a Backstop key as `Authorization: Bearer <key>`.',
  );
}

/**
 * Translates a thrown error to OpenAI's envelope. Known codes keep their message (redacted: it may quote an
 * upstream error); anything else becomes a generic 500 that reveals nothing, and `unexpected` is true so the caller logs it.
 */
export function toOpenAIError(e: unknown): OpenAIErrorReply & { unexpected: boolean } {
  const code = errorCode(e);
  const mapping = code ? OPENAI_ERRORS[code] : undefined;
  if (!code || !mapping) {
    return { ...errorReply(500, 'server_error', 'internal_error', INTERNAL_MESSAGE), unexpected: true };
  }
  const err = e as { message?: unknown; decisionId?: unknown; extensions?: { retryAfterMs?: unknown } };
  const message = typeof err.message === 'string' && err.message ? redact(err.message) : code;
  const reply = errorReply(mapping.status, mapping.type, mapping.code, message);
  const retryAfterMs = err.extensions?.retryAfterMs;
  return {
    ...reply,
    backstopCode: code,
    ...(typeof err.decisionId === 'string' && { decisionId: err.decisionId }),
    ...(typeof retryAfterMs === 'number' && { retryAfterMs }),
    ...(mapping.retry === false && { retry: false }),
    unexpected: false,
  };
}

// The completion service reports tenant problems as GraphQL errors (extensions.code); the engine as BackstopErrors.
function errorCode(e: unknown): string | undefined {
  if (isBackstopError(e)) return e.code;
  const ext = (e as { extensions?: { code?: unknown } } | null)?.extensions;
  return typeof ext?.code === 'string' ? ext.code : undefined;
}

/** Response headers for an error reply. */
export function errorHeaders(reply: OpenAIErrorReply): Record<string, string> {
  return {
    ...(reply.backstopCode && { 'x-backstop-error-code': reply.backstopCode }),
    ...(reply.decisionId && { 'x-backstop-decision-id': reply.decisionId }),
    ...(reply.retry === false && { 'x-should-retry': 'false' }),
    ...(reply.retryAfterMs !== undefined && {
      'retry-after': String(Math.max(1, Math.ceil(reply.retryAfterMs / 1000))),
      'retry-after-ms': String(Math.ceil(reply.retryAfterMs)),
    }),
  };
}

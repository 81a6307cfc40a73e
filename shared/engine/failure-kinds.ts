import type { FailureKind } from '../contracts/decision.js';

/** What the engine does after a failure of a kind. */
export interface FailureRule {
  /** Retry the same route (with backoff) before moving on. */
  retry: boolean;
  /** Move to the next route or tier; false stops the request. */
  fallback: boolean;
  /** The failure says something about the route's health and feeds its breaker. */
  health: boolean;
}

/** One table for every kind. Context-length failures fall back only to a route with a larger window. */
export const FAILURE_RULES: Readonly<Record<FailureKind, FailureRule>> = {
  timeout: { retry: true, fallback: true, health: true },
  rate_limited: { retry: true, fallback: true, health: true },
  server_error: { retry: true, fallback: true, health: true },
  overloaded: { retry: true, fallback: true, health: true },
  network: { retry: true, fallback: true, health: true },
  stream_interrupted: { retry: true, fallback: true, health: true },
  auth: { retry: false, fallback: true, health: true },
  quota_exhausted: { retry: false, fallback: true, health: true },
  not_found: { retry: false, fallback: true, health: true },
  context_length: { retry: false, fallback: true, health: false },
  schema_validation: { retry: false, fallback: true, health: false },
  unsupported: { retry: false, fallback: true, health: false },
  low_quality: { retry: false, fallback: true, health: false },
  bad_request: { retry: false, fallback: false, health: false },
  content_policy: { retry: false, fallback: false, health: false },
  aborted: { retry: false, fallback: false, health: false },
  // Conservative: an error we cannot read is not retried as is (it may not be idempotent) but may move on.
  unknown: { retry: false, fallback: true, health: true },
};

/** A classified failure: data, not an exception, inside the engine. */
export interface Failure {
  kind: FailureKind;
  message: string;
  status?: number;
  /** The provider's error `code` or `type`, e.g. `insufficient_quota`. */
  providerCode?: string;
  /** How long the provider asked us to wait, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** What an edge knows about a failure; every field is optional. */
export interface FailureInput {
  status?: number;
  headers?: Record<string, string | string[] | undefined> | Headers;
  /** Parsed error body (any vendor shape) or its text. */
  body?: unknown;
  /** The thrown error, for network codes, aborts and as `cause`. */
  error?: unknown;
  /** Finish reason of an otherwise successful answer. */
  finishReason?: string;
  /** The current time, in epoch milliseconds, to read an HTTP-date `Retry-After`. */
  nowMs?: number;
}

// Vendor error codes and types (OpenAI `code`/`type`, Anthropic `error.type`, Gemini `status`), lower-cased.
const CODE_KINDS: Readonly<Record<string, FailureKind>> = {
  rate_limit_error: 'rate_limited',
  rate_limit_exceeded: 'rate_limited',
  resource_exhausted: 'rate_limited',
  tokens: 'rate_limited',
  requests: 'rate_limited',
  overloaded_error: 'overloaded',
  unavailable: 'overloaded',
  server_overloaded: 'overloaded',
  api_error: 'server_error',
  api_key_invalid: 'auth',
  api_key_expired: 'auth',
  server_error: 'server_error',
  internal: 'server_error',
  internal_error: 'server_error',
  insufficient_quota: 'quota_exhausted',
  billing_not_active: 'quota_exhausted',
  billing_error: 'quota_exhausted',
  context_length_exceeded: 'context_length',
  string_above_max_length: 'context_length',
  request_too_large: 'context_length',
  content_filter: 'content_policy',
  content_policy_violation: 'content_policy',
  safety: 'content_policy',
  invalid_api_key: 'auth',
  authentication_error: 'auth',
  permission_error: 'auth',
  permission_denied: 'auth',
  unauthenticated: 'auth',
  model_not_found: 'not_found',
  not_found_error: 'not_found',
  not_found: 'not_found',
  deployment_not_found: 'not_found',
  invalid_json_schema: 'schema_validation',
  invalid_schema: 'schema_validation',
  unsupported_parameter: 'unsupported',
  unsupported_value: 'unsupported',
  unsupported_model: 'unsupported',
  deadline_exceeded: 'timeout',
  invalid_request_error: 'bad_request',
  invalid_argument: 'bad_request',
  failed_precondition: 'bad_request',
};

const STATUS_KINDS: Readonly<Record<number, FailureKind>> = {
  400: 'bad_request',
  401: 'auth',
  402: 'quota_exhausted',
  403: 'auth',
  404: 'not_found',
  408: 'timeout',
  413: 'context_length',
  422: 'bad_request',
  429: 'rate_limited',
  500: 'server_error',
  502: 'server_error',
  503: 'overloaded',
  504: 'timeout',
  529: 'overloaded',
};

// Node, undici and fetch error codes.
const NETWORK_CODE_KINDS: Readonly<Record<string, FailureKind>> = {
  ECONNRESET: 'network',
  ECONNREFUSED: 'network',
  ENOTFOUND: 'network',
  EAI_AGAIN: 'network',
  EPIPE: 'network',
  EHOSTUNREACH: 'network',
  ENETUNREACH: 'network',
  UND_ERR_SOCKET: 'network',
  UND_ERR_CLOSED: 'network',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_ABORTED: 'aborted',
  ABORT_ERR: 'aborted',
};

const FINISH_KINDS: Readonly<Record<string, FailureKind>> = {
  content_filter: 'content_policy',
  safety: 'content_policy',
  recitation: 'content_policy',
  prohibited_content: 'content_policy',
  blocklist: 'content_policy',
  length: 'low_quality',
  max_tokens: 'low_quality',
  refusal: 'low_quality',
};

const CONTEXT_MESSAGE =
  /context (length|window)|prompt is too long|too many tokens|maximum context|exceeds the maximum number of tokens/i;

/**
 * Folds what an edge saw (status, headers, error body, thrown error, finish reason) into one Failure.
 * Precedence: vendor code, then network code, then status, then finish reason; unknowns keep the original as `cause`.
 */
export function classifyFailure(input: FailureInput): Failure {
  const { code, type, message: bodyMessage } = readErrorBody(input.body);
  const errorInfo = readThrown(input.error);
  const message = bodyMessage ?? errorInfo.message ?? (input.status ? `HTTP ${input.status}` : 'unknown failure');
  const providerCode = code ?? type;
  const retryAfterMs = readRetryAfter(input.headers, input.body, input.nowMs);
  const base = {
    message,
    ...(input.status !== undefined && { status: input.status }),
    ...(providerCode !== undefined && { providerCode }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(input.error !== undefined && { cause: input.error }),
  };

  // A 429 that says the account is out of money is not a rate limit: retrying cannot help.
  const byCode = (code && CODE_KINDS[code.toLowerCase()]) || (type && CODE_KINDS[type.toLowerCase()]);
  if (byCode) {
    if (byCode === 'bad_request' && CONTEXT_MESSAGE.test(message)) return { ...base, kind: 'context_length' };
    return { ...base, kind: byCode };
  }
  if (errorInfo.aborted) return { ...base, kind: errorInfo.timeout ? 'timeout' : 'aborted' };
  if (errorInfo.code && NETWORK_CODE_KINDS[errorInfo.code])
    return { ...base, kind: NETWORK_CODE_KINDS[errorInfo.code]! };
  if (input.status !== undefined) {
    const byStatus = STATUS_KINDS[input.status];
    if (byStatus === 'bad_request' && CONTEXT_MESSAGE.test(message)) return { ...base, kind: 'context_length' };
    if (byStatus) return { ...base, kind: byStatus };
    if (input.status >= 500) return { ...base, kind: 'server_error' };
    if (input.status >= 400) return { ...base, kind: 'bad_request' };
  }
  if (input.finishReason) {
    const byFinish = FINISH_KINDS[input.finishReason.toLowerCase()];
    if (byFinish) return { ...base, kind: byFinish, message: `finish_reason ${input.finishReason}` };
  }
  return { ...base, kind: 'unknown' };
}

/** The rule for a kind. */
export function ruleFor(kind: FailureKind): FailureRule {
  return FAILURE_RULES[kind];
}

function readErrorBody(body: unknown): { code?: string; type?: string; message?: string } {
  if (typeof body === 'string') {
    try {
      return readErrorBody(JSON.parse(body));
    } catch {
      return body.trim() ? { message: body.slice(0, 500) } : {};
    }
  }
  if (!body || typeof body !== 'object') return {};
  // OpenAI {error:{code,type,message}}, Anthropic {type:'error', error:{type,message}}, Gemini {error:{status,message}}.
  const inner = (body as { error?: unknown }).error;
  const e = (inner && typeof inner === 'object' ? inner : body) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);
  // Gemini puts the precise reason (e.g. API_KEY_INVALID) in details[]; it beats the generic status.
  const reason = Array.isArray(e.details)
    ? e.details
        .map((d) => (d && typeof d === 'object' ? str((d as { reason?: unknown }).reason) : undefined))
        .find(Boolean)
    : undefined;
  const code = reason ?? (str(e.code) && !/^\d+$/.test(String(e.code)) ? str(e.code) : str(e.status));
  const type = str(e.type) === 'error' ? undefined : str(e.type);
  return {
    ...(code !== undefined && { code }),
    ...(type !== undefined && { type }),
    ...(str(e.message) !== undefined && { message: str(e.message)! }),
  };
}

function readThrown(error: unknown): { code?: string; message?: string; aborted: boolean; timeout: boolean } {
  if (!error || typeof error !== 'object') return { aborted: false, timeout: false };
  const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  let code = typeof e.code === 'string' ? e.code : undefined;
  // fetch wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }).
  if (!code && e.cause && typeof e.cause === 'object' && typeof (e.cause as { code?: unknown }).code === 'string') {
    code = (e.cause as { code: string }).code;
  }
  const timeout = name === 'TimeoutError';
  const aborted = timeout || name === 'AbortError' || code === 'ABORT_ERR';
  return {
    ...(code !== undefined && { code }),
    ...(typeof e.message === 'string' && { message: e.message }),
    aborted,
    timeout,
  };
}

/** Reads `retry-after-ms`, `Retry-After` (seconds or HTTP date), `x-ratelimit-reset-*` and Gemini's RetryInfo. */
export function readRetryAfter(headers: FailureInput['headers'], body?: unknown, nowMs?: number): number | undefined {
  const get = (name: string): string | undefined => {
    if (!headers) return undefined;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const v = (headers as Record<string, string | string[] | undefined>)[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const ra = get('retry-after');
  if (ra !== undefined) {
    const seconds = Number(ra);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(ra);
    if (Number.isFinite(date) && nowMs !== undefined) return Math.max(0, date - nowMs);
  }
  const reset = get('x-ratelimit-reset-requests') ?? get('x-ratelimit-reset-tokens');
  if (reset !== undefined) {
    const d = parseDuration(reset);
    if (d !== undefined) return d;
  }
  const details = (body as { error?: { details?: unknown } } | undefined)?.error?.details;
  if (Array.isArray(details)) {
    for (const d of details) {
      const delay = (d as { retryDelay?: unknown })?.retryDelay;
      if (typeof delay === 'string') {
        const parsed = parseDuration(delay);
        if (parsed !== undefined) return parsed;
      }
    }
  }
  return undefined;
}

/** Parses Go-style durations as OpenAI and Gemini send them: `1s`, `6m0s`, `250ms`, `1.5s`. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    matched += m[0];
  }
  return matched.length > 0 && matched === text.trim() ? Math.round(total) : undefined;
}

import { describe, expect, it } from 'vitest';
import { FAILURE_KINDS } from '../contracts/decision.js';
import { classifyFailure, FAILURE_RULES, parseDuration, readRetryAfter } from './failure-kinds.js';

describe('classifyFailure', () => {
  it.each([
    [{ status: 429, body: { error: { type: 'rate_limit_error', message: 'slow down' } } }, 'rate_limited'],
    [
      {
        status: 429,
        body: {
          error: { code: 'insufficient_quota', type: 'insufficient_quota', message: 'You exceeded your current quota' },
        },
      },
      'quota_exhausted',
    ],
    [
      { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
      'overloaded',
    ],
    [{ status: 503 }, 'overloaded'],
    [{ status: 500 }, 'server_error'],
    [{ status: 502 }, 'server_error'],
    [{ status: 599 }, 'server_error'],
    [{ status: 504 }, 'timeout'],
    [{ status: 401, body: { error: { code: 'invalid_api_key', message: 'Incorrect API key' } } }, 'auth'],
    [{ status: 403 }, 'auth'],
    [{ status: 404, body: { error: { code: 'model_not_found', message: 'no such model' } } }, 'not_found'],
    [{ status: 400, body: { error: { code: 'context_length_exceeded', message: 'too long' } } }, 'context_length'],
    [
      {
        status: 400,
        body: {
          type: 'error',
          error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' },
        },
      },
      'context_length',
    ],
    [{ status: 400, body: { error: { code: 'content_policy_violation', message: 'blocked' } } }, 'content_policy'],
    [{ status: 400, body: { error: { code: 'invalid_json_schema', message: 'bad schema' } } }, 'schema_validation'],
    [
      { status: 400, body: { error: { code: 'unsupported_parameter', message: 'logprobs not supported' } } },
      'unsupported',
    ],
    [
      { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages: empty' } } },
      'bad_request',
    ],
    [
      { status: 429, body: { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' } } },
      'rate_limited',
    ],
    [
      { status: 503, body: { error: { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded' } } },
      'overloaded',
    ],
    [{ status: 400, body: { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad' } } }, 'bad_request'],
    [
      {
        status: 400,
        body: {
          error: {
            code: 400,
            status: 'INVALID_ARGUMENT',
            message: 'API key not valid.',
            details: [{ reason: 'API_KEY_INVALID' }],
          },
        },
      },
      'auth',
    ],
    [
      {
        status: 400,
        body: {
          error: {
            code: 400,
            status: 'INVALID_ARGUMENT',
            message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
          },
        },
      },
      'context_length',
    ],
    [{ error: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }, 'network'],
    [
      { error: new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }) },
      'network',
    ],
    [{ error: Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) }, 'timeout'],
    [{ error: new DOMException('timed out', 'TimeoutError') }, 'timeout'],
    [{ error: new DOMException('aborted', 'AbortError') }, 'aborted'],
    [{ finishReason: 'content_filter' }, 'content_policy'],
    [{ finishReason: 'length' }, 'low_quality'],
    [{ error: new Error('something odd') }, 'unknown'],
  ] as const)('folds %j into %s', (input, kind) => {
    expect(classifyFailure(input).kind).toBe(kind);
  });

  it('keeps the original error as cause for an unknown failure', () => {
    const original = new Error('weird');
    const f = classifyFailure({ error: original });
    expect(f).toMatchObject({ kind: 'unknown', message: 'weird' });
    expect(f.cause).toBe(original);
  });

  it('keeps the status and vendor code', () => {
    const f = classifyFailure({
      status: 429,
      body: JSON.stringify({ error: { type: 'rate_limit_error', message: 'm' } }),
    });
    expect(f).toMatchObject({ status: 429, providerCode: 'rate_limit_error', message: 'm' });
  });
});

describe('retry hints', () => {
  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(readRetryAfter({ 'retry-after': '3' })).toBe(3000);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(readRetryAfter({ 'retry-after': new Date(now + 5000).toUTCString() }, undefined, now)).toBe(5000);
  });

  it('prefers retry-after-ms over Retry-After', () => {
    expect(readRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
  });

  it('reads OpenAI x-ratelimit-reset durations and Gemini RetryInfo', () => {
    expect(readRetryAfter({ 'x-ratelimit-reset-requests': '6m0s' })).toBe(360_000);
    expect(
      readRetryAfter(
        {},
        { error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }] } },
      ),
    ).toBe(30_000);
  });

  it('carries the hint on a classified rate limit', () => {
    expect(classifyFailure({ status: 429, headers: { 'retry-after': '2' } }).retryAfterMs).toBe(2000);
  });

  it('parses Go-style durations and rejects garbage', () => {
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('the rule table', () => {
  it('has a rule for every kind', () => {
    expect(Object.keys(FAILURE_RULES).sort()).toEqual([...FAILURE_KINDS].sort());
  });

  it('retries exactly the transient kinds', () => {
    const retryable = FAILURE_KINDS.filter((k) => FAILURE_RULES[k].retry).sort();
    expect(retryable).toEqual([
      'network',
      'overloaded',
      'rate_limited',
      'server_error',
      'stream_interrupted',
      'timeout',
    ]);
  });

  it('stops on request-caused kinds and moves on from the rest', () => {
    const stops = FAILURE_KINDS.filter((k) => !FAILURE_RULES[k].fallback).sort();
    expect(stops).toEqual(['aborted', 'bad_request', 'content_policy']);
  });

  it('does not count request-caused failures against a route', () => {
    for (const k of ['bad_request', 'content_policy', 'context_length', 'schema_validation', 'low_quality'] as const) {
      expect(FAILURE_RULES[k].health).toBe(false);
    }
  });
});

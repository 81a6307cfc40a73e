import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  AllTiersFailedError,
  BackstopError,
  BudgetBandBlockedError,
  BudgetExceededError,
  CircuitOpenError,
  DeadlineExceededError,
  DowngradeForbiddenError,
  RequestRejectedError,
} from '../../shared/engine/errors.js';
import { errorHeaders, invalidApiKey, toOpenAIError } from './openai-errors.js';

const failure = { kind: 'bad_request', message: 'bad' } as const;

describe('toOpenAIError', () => {
  it.each([
    [new BudgetExceededError('monthly', 'acme', 'd'), 429, 'insufficient_quota', 'insufficient_quota'],
    [new BudgetBandBlockedError('critical_only', 'batch', 'd'), 429, 'insufficient_quota', 'budget_band_blocked'],
    [
      new DowngradeForbiddenError('cache would serve a stand-in', 'd', []),
      422,
      'invalid_request_error',
      'downgrade_forbidden',
    ],
    [new AllTiersFailedError('d', [], undefined), 503, 'server_error', 'all_tiers_failed'],
    [new CircuitOpenError(['gpt-4o'], 'd', []), 503, 'server_error', 'all_tiers_failed'],
    [new DeadlineExceededError(100, 'd', []), 504, 'server_error', 'deadline_exceeded'],
    [new RequestRejectedError(failure, 'd', []), 400, 'invalid_request_error', 'request_rejected'],
    [new BackstopError('RATE_LIMITED' as never, 'slow down'), 429, 'rate_limit_error', 'rate_limit_exceeded'],
    [new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } }), 403, 'permission_error', 'permission_denied'],
    [
      new GraphQLError('no tenant "x"', { extensions: { code: 'NOT_FOUND' } }),
      404,
      'invalid_request_error',
      'not_found',
    ],
  ])('maps %s to %i %s/%s', (error, status, type, code) => {
    const reply = toOpenAIError(error);
    expect(reply.status).toBe(status);
    expect(reply.body.error).toMatchObject({ type, code, param: null, message: (error as Error).message });
    expect(reply.unexpected).toBe(false);
  });

  it('keeps the decision id of an engine error for the response headers', () => {
    const reply = toOpenAIError(new AllTiersFailedError('dec-7', [], undefined));
    expect(errorHeaders(reply)).toEqual({
      'x-backstop-error-code': 'ALL_TIERS_FAILED',
      'x-backstop-decision-id': 'dec-7',
    });
  });

  it('tells the openai client not to retry a spent budget, and leaves outages to its retry policy', () => {
    expect(errorHeaders(toOpenAIError(new BudgetExceededError('prepaid', 't', 'd')))['x-should-retry']).toBe('false');
    expect(errorHeaders(toOpenAIError(new AllTiersFailedError('d', [], undefined)))['x-should-retry']).toBeUndefined();
  });

  it('sends Retry-After in whole seconds (rounded up) and retry-after-ms for a rate-limit refusal', () => {
    const refusal = new GraphQLError('rate limit reached', {
      extensions: { code: 'RATE_LIMITED', retryAfterMs: 41_200 },
    });
    const reply = toOpenAIError(refusal);
    expect(reply.status).toBe(429);
    expect(reply.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(errorHeaders(reply)).toMatchObject({ 'retry-after': '42', 'retry-after-ms': '41200' });
  });

  it.each([
    ['a plain Error', new Error('connect ECONNREFUSED 10.0.0.3:5432 password=hunter2')],
    ['an INTERNAL BackstopError', new BackstopError('INTERNAL', 'a store failed: relation "x" does not exist')],
    ['a provider error', new BackstopError('PROVIDER_ERROR', 'upstream said: bad key sk-abcdefghijklmnopqrstu')],
    ['a thrown string', 'boom'],
  ])('hides %s behind a generic 500', (_name, error) => {
    const reply = toOpenAIError(error);
    expect(reply).toMatchObject({ status: 500, unexpected: true });
    expect(reply.body.error).toEqual({
      message: 'The server had an error while processing your request.',
      type: 'server_error',
      param: null,
      code: 'internal_error',
    });
  });

  it('redacts secrets that an upstream message quotes', () => {
    const error = new AllTiersFailedError(
      'd',
      [],
      undefined,
      'Incorrect API key provided: sk-proj-abcdefghijklmnop1234',
    );
    expect(toOpenAIError(error).body.error.message).toBe('Incorrect API key provided: [secret]');
  });
});

describe('invalidApiKey', () => {
  it('is the 401 invalid_api_key OpenAI sends', () => {
    expect(invalidApiKey()).toMatchObject({
      status: 401,
      body: { error: { type: 'invalid_request_error', code: 'invalid_api_key', param: null } },
    });
  });
});

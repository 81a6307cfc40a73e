import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackstopConfig } from '../../../server/config.js';
import type { TestBackstop } from '../../support/backstop.js';
import { chat, complete, completeStream, countDecisions, startGateway } from './support.js';

// Per-minute limits on one gateway (in-process counters); the Redis-shared variant is in two-instances.test.ts.
const withLimits =
  (rateLimits: Partial<BackstopConfig['rateLimits']>) =>
  (config: BackstopConfig): BackstopConfig => ({
    ...config,
    rateLimits: { tenants: {}, keys: {}, routes: {}, ...rateLimits },
  });

describe('tenant and key rate limits', () => {
  let tb: TestBackstop;
  beforeAll(async () => {
    tb = await startGateway({
      config: withLimits({
        tenants: {
          acme: { requestsPerMinute: 3 },
          wordy: { tokensPerMinute: 40 },
          chatty: { tokensPerMinute: 12 },
        },
        defaultTenant: { requestsPerMinute: 1_000 },
      }),
    });
  });
  afterAll(() => tb.close());

  it('lets a tenant at 3 requests per minute through 3 times, then answers 429 with Retry-After on /v1', async () => {
    const key = await tb.key('tenant', 'acme');
    for (let i = 0; i < 3; i++) expect((await chat(tb, key)).status).toBe(200);
    const refused = await chat(tb, key);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-backstop-error-code')).toBe('RATE_LIMITED');
    expect(await refused.json()).toEqual({
      error: {
        message: expect.stringContaining('3 requests per minute for tenant "acme"'),
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
  });

  it('refuses with RATE_LIMITED and retryAfterMs on GraphQL complete and completeStream, recording nothing', async () => {
    const key = await tb.key('tenant', 'acme');
    const decisions = countDecisions(tb);
    const reply = await complete(tb, key);
    expect(reply.errors![0]!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      scope: 'tenant',
      dimension: 'requests',
      limit: 3,
    });
    expect(reply.errors![0]!.extensions!.retryAfterMs).toBeGreaterThan(0);
    const [first] = await completeStream(tb, key);
    expect(first!.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
    const streamed = await chat(tb, key, 'hello', { stream: true });
    expect(streamed.status).toBe(429);
    expect(streamed.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(decisions.count()).toBe(0);
    decisions.dispose();
  });

  it('applies the default tenant limit to tenants without their own, and counts each tenant apart', async () => {
    const other = await tb.key('tenant', 'globex');
    expect((await chat(tb, other)).status).toBe(200);
  });

  it('takes the estimated input tokens up front and refuses a prompt over the tokens per minute', async () => {
    const key = await tb.key('tenant', 'wordy');
    const refused = await chat(tb, key, 'x'.repeat(400));
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.message).toContain('40 tokens per minute');
    // The refusal took nothing: a small prompt still fits.
    expect((await chat(tb, key, 'hi')).status).toBe(200);
  });

  it('adds the output tokens of an answer to the tenant’s tokens per minute', async () => {
    const key = await tb.key('tenant', 'chatty');
    // "hi" is estimated at 5 input tokens: twice that fits the 12 per minute, but not with the first answer's tokens.
    const first = await complete(tb, key, 'hi');
    expect(first.data!.complete!.usage.outputTokens).toBeGreaterThan(2);
    await vi.waitFor(async () => expect((await chat(tb, key, 'hi')).status).toBe(429));
  });
});

describe('rate limits set at runtime (GraphQL)', () => {
  let tb: TestBackstop;
  beforeAll(async () => {
    tb = await startGateway({ config: withLimits({ routes: { 'gpt-4.1': { requestsPerMinute: 100 } } }) });
  });
  afterAll(() => tb.close());

  const SET = /* GraphQL */ `
    mutation ($scope: RateLimitScope!, $id: ID!, $rpm: Int, $tpm: Int) {
      setRateLimit(scope: $scope, id: $id, requestsPerMinute: $rpm, tokensPerMinute: $tpm) {
        scope
        id
        requestsPerMinute
        tokensPerMinute
        source
      }
    }
  `;
  const LIST = '{ rateLimits { scope id requestsPerMinute tokensPerMinute source } }';

  it('sets a tenant limit that applies to the next request, lists it with the config ones, and audits it', async () => {
    await tb.services.tenants.ensureTenant('initech');
    const set = await tb.gql(SET, { scope: 'tenant', id: 'initech', rpm: 1 });
    expect(set.data!.setRateLimit).toEqual({
      scope: 'tenant',
      id: 'initech',
      requestsPerMinute: 1,
      tokensPerMinute: null,
      source: 'runtime',
    });
    const key = await tb.key('tenant', 'initech');
    expect((await chat(tb, key)).status).toBe(200);
    expect((await chat(tb, key)).status).toBe(429);
    const list = await tb.gql<{ rateLimits: unknown[] }>(LIST);
    expect(list.data!.rateLimits).toEqual([
      { scope: 'tenant', id: 'initech', requestsPerMinute: 1, tokensPerMinute: null, source: 'runtime' },
      { scope: 'route', id: 'gpt-4.1', requestsPerMinute: 100, tokensPerMinute: null, source: 'config' },
    ]);
    const audit = await tb.gql<{ auditLog: { action: string; target: string }[] }>(
      '{ auditLog(first: 5) { action target } }',
    );
    expect(audit.data!.auditLog).toContainEqual({ action: 'rate_limit.set', target: 'tenant:initech' });
  });

  it('limits one API key apart from the others of its tenant', async () => {
    await tb.services.tenants.ensureTenant('umbrella');
    const make = (name: string) =>
      tb.services.tenants.createApiKey(null, { role: 'tenant', tenantId: 'umbrella', name });
    const [limited, other] = [await make('limited'), await make('other')];
    await tb.gql(SET, { scope: 'key', id: limited.row.id, rpm: 1 });
    expect((await chat(tb, limited.key)).status).toBe(200);
    expect((await chat(tb, limited.key)).status).toBe(429);
    expect((await chat(tb, other.key)).status).toBe(200);
    expect((await chat(tb, other.key)).status).toBe(200);
  });

  it('clears a runtime limit, so the config entry applies again', async () => {
    await tb.gql(SET, { scope: 'route', id: 'gpt-4.1', rpm: 5 });
    const cleared = await tb.gql<{ clearRateLimit: boolean }>(
      'mutation { clearRateLimit(scope: route, id: "gpt-4.1") }',
    );
    expect(cleared.data!.clearRateLimit).toBe(true);
    const list = await tb.gql<{ rateLimits: { id: string; requestsPerMinute: number; source: string }[] }>(LIST);
    expect(list.data!.rateLimits.find((l) => l.id === 'gpt-4.1')).toMatchObject({
      requestsPerMinute: 100,
      source: 'config',
    });
  });

  it('names an unknown subject and refuses non-admins', async () => {
    const unknown = await tb.gql(SET, { scope: 'route', id: 'gpt-9', rpm: 1 });
    expect(unknown.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const zero = await tb.gql(SET, { scope: 'route', id: 'gpt-4.1', rpm: 0 });
    expect(zero.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const viewer = await tb.key('viewer');
    expect((await tb.gql(SET, { scope: 'tenant', id: '*', rpm: 1 }, viewer)).errors![0]!.extensions!.code).toBe(
      'FORBIDDEN',
    );
    expect((await tb.gql(LIST, {}, viewer)).errors).toBeUndefined();
    const tenant = await tb.key('tenant', 'acme');
    expect((await tb.gql(LIST, {}, tenant)).errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });
});

describe('route rate limits', () => {
  let tb: TestBackstop;
  beforeAll(async () => {
    tb = await startGateway({ config: withLimits({ routes: { 'gpt-4o': { requestsPerMinute: 1 } } }) });
  });
  afterAll(() => tb.close());

  it('skips a route over its limit to the next tier instead of failing the request', async () => {
    const key = await tb.key('tenant', 'acme');
    const first = await complete(tb, key);
    expect(first.data!.complete!.routeId).toBe('gpt-4o');
    const second = await complete(tb, key);
    expect(second.errors).toBeUndefined();
    expect(second.data!.complete!.routeId).toBe('claude-sonnet-4');
  });
});

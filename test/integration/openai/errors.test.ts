import type { OpenAI } from 'openai';
import {
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICY } from '../../../shared/engine/policy-matrix.js';
import { clientError } from '../../../server/graphql/errors.js';
import { HAIKU, SIM_MODELS, ask, rejection, startHarness, type Harness } from './support.js';

describe('OpenAI-compatible endpoint: errors', () => {
  let h: Harness;
  // A whole Backstop (PGlite, migrations, simulator) takes a few seconds on a busy machine.
  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h.close());
  afterEach(() => SIM_MODELS.forEach((m) => h.tb.sim.clearProfile(m)));

  const create = (client: OpenAI, model = 'non_critical', extra: Record<string, unknown> = {}, headers = {}) =>
    client.chat.completions.create({ model, messages: ask('hello'), ...extra }, { headers });

  it('answers 401 invalid_api_key for a missing or unknown key, without echoing it', async () => {
    const err = await rejection(create(h.client('bk_admin_not-a-real-key-at-all')));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect([err.status, err.code, err.type]).toEqual([401, 'invalid_api_key', 'invalid_request_error']);
    expect(JSON.stringify(err.error)).not.toContain('not-a-real-key');
    const res = await fetch(`${h.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_api_key', param: null } });
  });

  it('answers 403 to a viewer key', async () => {
    const err = await rejection(create(h.client(await h.tb.key('viewer'))));
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect([err.status, err.type]).toEqual([403, 'permission_error']);
  });

  it('answers 400 naming the field for bad input, and records nothing', async () => {
    const before = await h.decisionCount();
    const err = await rejection(create(h.client(), 'critical', { temperature: 5 }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect([err.status, err.type, err.param]).toEqual([400, 'invalid_request_error', 'temperature']);
    const parts = [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }];
    const image = await rejection(create(h.client(), 'critical', { messages: [{ role: 'user', content: parts }] }));
    expect(image.param).toBe('messages[0].content[0].type');
    const badJson = await h.post('{"model": "critical", ');
    expect(badJson.status).toBe(400);
    expect(await h.decisionCount()).toBe(before);
  });

  it('answers 404 model_not_found for a model that is neither a class nor a route', async () => {
    const before = await h.decisionCount();
    const err = await rejection(create(h.client(), 'gpt-5'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect([err.status, err.code, err.param]).toEqual([404, 'model_not_found', 'model']);
    expect(await h.decisionCount()).toBe(before);
  });

  it('forbids a tenant key to act for another tenant through x-backstop-tenant', async () => {
    const before = await h.decisionCount();
    const acme = h.client(await h.tb.key('tenant', 'acme'));
    const err = await rejection(create(acme, 'non_critical', {}, { 'x-backstop-tenant': 'globex' }));
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(await h.decisionCount()).toBe(before);
    const own = await create(acme, 'non_critical', {}, { 'x-backstop-tenant': 'acme' });
    expect(own.choices[0]!.message.content).toBe('You said: "hello"');
  });

  it('answers 429 insufficient_quota when the budget is spent, and tells the client not to retry', async () => {
    const key = await h.tb.key('tenant', 'broke');
    await h.tb.services.budgets.setBudget('broke', {
      monthlyLimitUsd: 0,
      prepaidBalanceUsd: null,
      dailyLimitUsd: null,
      retryBudgetPerDay: null,
    });
    const err = await rejection(create(h.client(key)));
    expect(err).toBeInstanceOf(RateLimitError);
    expect([err.status, err.code, err.type]).toEqual([429, 'insufficient_quota', 'insufficient_quota']);
    expect(err.headers?.get('x-should-retry')).toBe('false');
  });

  it('answers 429 budget_band_blocked when the budget band pauses the class', async () => {
    const key = await h.tb.key('tenant', 'tight');
    const { budgets } = h.tb.services;
    await budgets.setBudget('tight', {
      monthlyLimitUsd: 1,
      prepaidBalanceUsd: null,
      dailyLimitUsd: null,
      retryBudgetPerDay: null,
    });
    await budgets.reserve({ tenantId: 'tight', reservationId: 'r-tight', amountUsd: 0.96, daily: false });
    await budgets.settle('r-tight', 0.96);
    const err = await rejection(create(h.client(key), 'batch'));
    expect(err).toBeInstanceOf(RateLimitError);
    expect([err.status, err.code]).toEqual([429, 'budget_band_blocked']);
  });

  it('answers 422 downgrade_forbidden when a sensitive request could only get a stand-in', async () => {
    h.tb.sim.setProfile(HAIKU, { errorRates: { 500: 1 } });
    h.tb.sim.setProfile('gpt-4.1-mini', { errorRates: { 500: 1 } });
    const err = await rejection(create(h.client(), 'non_critical', {}, { 'x-backstop-sensitive': 'true' }));
    expect(err).toBeInstanceOf(UnprocessableEntityError);
    expect([err.status, err.code]).toEqual([422, 'downgrade_forbidden']);
  });

  it('answers 503 all_tiers_failed when every tier failed, with the decision id', async () => {
    h.tb.sim.setProfile('gpt-4.1', { errorRates: { 500: 1 } });
    const err = await rejection(create(h.client(), 'experiment'));
    expect(err).toBeInstanceOf(InternalServerError);
    expect([err.status, err.type, err.code]).toEqual([503, 'server_error', 'all_tiers_failed']);
    expect(err.headers?.get('x-backstop-decision-id')).toBeTruthy();
    expect(err.headers?.get('x-backstop-error-code')).toBe('ALL_TIERS_FAILED');
  });

  it('answers a stream that fails before its first token with the real status, not a broken stream', async () => {
    h.tb.sim.setProfile('gpt-4.1', { errorRates: { 500: 1 } });
    const err = await rejection(create(h.client(), 'experiment', { stream: true }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err.code).toBe('all_tiers_failed');
  });

  it('answers 504 deadline_exceeded when the class deadline passes', async () => {
    await h.tb.key('tenant', 'hurried');
    const admin = (await h.tb.services.tenants.authenticate(h.tb.adminKey))!;
    const classes = {
      ...DEFAULT_POLICY.classes,
      non_critical: { ...DEFAULT_POLICY.classes.non_critical, deadlineMs: 300 },
    };
    await h.tb.services.policies.publish(admin, 'hurried', { ...DEFAULT_POLICY, classes });
    h.tb.sim.setProfile(HAIKU, { hangRate: 1 });
    const err = await rejection(create(h.client(), 'non_critical', {}, { 'x-backstop-tenant': 'hurried' }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect([err.status, err.code]).toEqual([504, 'deadline_exceeded']);
  });

  it('answers 400 request_rejected when the provider rejects the request itself', async () => {
    h.tb.sim.setProfile('gpt-4.1', { contentFilterRate: 1 });
    const err = await rejection(create(h.client(), 'experiment'));
    expect(err).toBeInstanceOf(BadRequestError);
    expect([err.status, err.code]).toEqual([400, 'request_rejected']);
  });

  it('answers 429 rate_limit_exceeded for a RATE_LIMITED error', async () => {
    const spy = vi
      .spyOn(h.tb.services.completions, 'complete')
      .mockRejectedValueOnce(clientError('RATE_LIMITED', 'too many requests'));
    const err = await rejection(create(h.client()));
    spy.mockRestore();
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.code).toBe('rate_limit_exceeded');
  });

  it('answers 500 without internals for an unexpected failure', async () => {
    const spy = vi
      .spyOn(h.tb.services.completions, 'complete')
      .mockRejectedValueOnce(new Error('connect ECONNREFUSED 10.0.0.5:5432 (password=hunter2)'));
    const err = await rejection(create(h.client()));
    spy.mockRestore();
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err.error).toEqual({
      message: 'The server had an error while processing your request.',
      type: 'server_error',
      param: null,
      code: 'internal_error',
    });
  });

  // Last: it leaves the experiment route's breaker open.
  it('answers 503 when every route is open-circuited', async () => {
    const route = h.tb.services.config.routes.get('gpt-4.1')!;
    for (let i = 0; i < 5; i++) {
      await h.tb.services.engine.breakers.record(route, { ok: false, countsForHealth: true, latencyMs: 1 });
    }
    const err = await rejection(create(h.client(), 'experiment'));
    expect(err).toBeInstanceOf(InternalServerError);
    expect([err.status, err.code]).toEqual([503, 'all_tiers_failed']);
    expect(err.headers?.get('x-backstop-error-code')).toBe('CIRCUIT_OPEN');
  });
  // After the breaker test, and last: the server answers before reading the body, so the connection is closed under
  // the client's feet, and the next request of the shared connection pool could pick up the dead socket.
  it('answers 413 to an oversized body', async () => {
    const err = await rejection(create(h.client(), 'critical', { messages: ask('x'.repeat(1_100_000)) }));
    expect([err.status, err.code]).toEqual([413, 'payload_too_large']);
  });
});

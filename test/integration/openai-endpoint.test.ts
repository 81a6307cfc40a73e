import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { count, eq } from 'drizzle-orm';
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OpenAI,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { attempts, decisions } from '../../drizzle/schema/index.js';
import { DEFAULT_POLICY } from '../../shared/engine/policy-matrix.js';
import { createApp } from '../../server/app.js';
import { clientError } from '../../server/graphql/errors.js';
import { mountOpenAICompatible } from '../../server/http/openai-compatible.js';
import { startTestBackstop, type TestBackstop } from '../support/backstop.js';

const HAIKU = 'claude-3-5-haiku-20241022';
const SIM_MODELS = [HAIKU, 'gpt-4.1-mini', 'gpt-4.1', 'gpt-4o'];
const ask = (content: string) => [{ role: 'user' as const, content }];

interface Harness {
  tb: TestBackstop;
  url: string;
  client: (apiKey?: string) => OpenAI;
  post: (body: unknown, init?: { key?: string; headers?: Record<string, string> }) => Promise<Response>;
  decisionCount: () => Promise<number>;
  close: () => Promise<void>;
}

// A real port: the official client speaks HTTP, so this is what an unchanged OpenAI application sees.
async function startHarness(): Promise<Harness> {
  const tb = await startTestBackstop();
  const app = createApp(tb.services, { mount: (hono) => mountOpenAICompatible(hono, tb.services) });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    tb,
    url,
    // The client retries 429 and 5xx by default; the tests want the first answer.
    client: (apiKey = tb.adminKey) => new OpenAI({ apiKey, baseURL: url, maxRetries: 0 }),
    post: (body, init = {}) =>
      fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${init.key ?? tb.adminKey}`,
          'content-type': 'application/json',
          ...init.headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async decisionCount() {
      await tb.services.decisions.flush();
      const [row] = await tb.services.database.db.select({ n: count() }).from(decisions);
      return row!.n;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await tb.close();
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof APIError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('OpenAI-compatible endpoint: answers', () => {
  let h: Harness;
  // A whole Backstop (PGlite, migrations, simulator) takes a few seconds on a busy machine.
  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h.close());
  afterEach(() => SIM_MODELS.forEach((m) => h.tb.sim.clearProfile(m)));

  it('answers a plain completion with a chat.completion body, usage and the x-backstop headers', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create({ model: 'critical', messages: ask('What is the capital of France?') })
      .withResponse();
    expect(data).toMatchObject({ object: 'chat.completion', model: 'gpt-4o' });
    expect(data.choices[0]!.message).toMatchObject({
      role: 'assistant',
      content: 'You said: "What is the capital of France?"',
    });
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    const header = (name: string) => response.headers.get(name);
    expect(data.id).toBe(`chatcmpl-${header('x-backstop-decision-id')}`);
    expect([header('x-backstop-route'), header('x-backstop-provider'), header('x-backstop-tier')]).toEqual([
      'gpt-4o',
      'openai',
      '0',
    ]);
    expect([header('x-backstop-fallbacks'), header('x-backstop-degraded'), header('x-backstop-uncertain')]).toEqual([
      '0',
      'false',
      'false',
    ]);
    expect(header('x-backstop-class')).toBe('critical');
  });

  it('streams text deltas, then usage when include_usage is set', async () => {
    const { data: stream, response } = await h
      .client()
      .chat.completions.create({
        model: 'non_critical',
        messages: ask('Stream this sentence back to me, please.'),
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-backstop-decision-id')).toBeTruthy();
    expect(response.headers.get('x-backstop-class')).toBe('non_critical');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('You said: "Stream this sentence back to me, please."');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    expect(chunks.every((c) => c.id === `chatcmpl-${response.headers.get('x-backstop-decision-id')}`)).toBe(true);
  });

  it('round-trips a tool call: the model calls the named tool, then reads its result', async () => {
    const client = h.client();
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const first = await client.chat.completions.create({
      model: 'critical',
      messages: ask('Use get_weather for Oslo.'),
      tools,
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(first.choices[0]!.message.content).toBeNull();
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'sample' });

    const second = await client.chat.completions.create({
      model: 'critical',
      tools,
      messages: [
        ...ask('Use get_weather for Oslo.'),
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The tool returned: "sunny, 21 C"');
  });

  it('streams tool calls as tool_call deltas', async () => {
    const stream = await h.client().chat.completions.create({
      model: 'critical',
      messages: ask('Call lookup_order now.'),
      tools: [{ type: 'function', function: { name: 'lookup_order', parameters: { type: 'object' } } }],
      stream: true,
    });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      for (const t of delta?.tool_calls ?? []) {
        name += t.function?.name ?? '';
        args += t.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([name, args, finish]).toEqual(['lookup_order', '{}', 'tool_calls']);
  });

  it('takes a route id as model: the route is pinned and the class comes from the header', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-4.1', messages: ask('Pinned?') },
        { headers: { 'x-backstop-class': 'critical' } },
      )
      .withResponse();
    expect(data.model).toBe('gpt-4.1');
    expect(response.headers.get('x-backstop-route')).toBe('gpt-4.1');
    expect(response.headers.get('x-backstop-class')).toBe('critical');
  });

  it('passes response_format json_schema to the engine, whose schema guard rejects the echo answer', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create({
        model: 'non_critical',
        messages: ask('Give me JSON.'),
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } },
        },
      })
      .withResponse();
    // The simulator never answers JSON: both routes fail the schema and the class's default answer stands in.
    expect(response.headers.get('x-backstop-degraded-reasons')).toContain('default_response');
    expect(response.headers.get('x-backstop-uncertain')).toBe('true');
    expect(data.model).toBe('non_critical');
    await h.tb.services.decisions.flush();
    const rows = await h.tb.services.database.db
      .select({ kind: attempts.failureKind })
      .from(attempts)
      .where(eq(attempts.decisionId, response.headers.get('x-backstop-decision-id')!));
    expect(rows.map((r) => r.kind)).toEqual(['low_quality', 'low_quality']);
  });

  it('shows a fallback in the headers when the primary route fails', async () => {
    h.tb.sim.setProfile(HAIKU, { errorRates: { 500: 1 } });
    const { response } = await h
      .client()
      .chat.completions.create({ model: 'non_critical', messages: ask('Fallback please.') })
      .withResponse();
    expect(response.headers.get('x-backstop-route')).toBe('gpt-4.1-mini');
    expect(response.headers.get('x-backstop-tier')).toBe('1');
    expect(Number(response.headers.get('x-backstop-fallbacks'))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get('x-backstop-degraded')).toBe('true');
    expect(response.headers.get('x-backstop-degraded-reasons')).toContain('fallback');
  });

  it('streams through a fallback: SSE comments report it, and the openai client ignores them', async () => {
    h.tb.sim.setProfile(HAIKU, { errorRates: { 500: 1 } });
    const body = { model: 'non_critical', messages: ask('Fallback stream.'), stream: true };
    const res = await h.post(body);
    const raw = await res.text();
    const summary = JSON.parse(/^: backstop-result (.*)$/m.exec(raw)![1]!) as { decisionId: string };
    expect(summary.decisionId).toBe(res.headers.get('x-backstop-decision-id'));
    expect(raw).toMatch(/^: backstop-fallback \{"from":"claude-3-5-haiku","to":"gpt-4.1-mini"/m);
    expect(raw).toMatch(/^: backstop-result \{"status":"answered",.*"route":"gpt-4.1-mini"/m);
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);

    const stream = await h.client().chat.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('You said: "Fallback stream."');
  });

  it('lists every traffic class and route as a model', async () => {
    const models = [];
    for await (const model of h.client().models.list()) models.push(model);
    expect(models).toContainEqual(expect.objectContaining({ id: 'critical', object: 'model', owned_by: 'backstop' }));
    expect(models).toContainEqual(expect.objectContaining({ id: 'claude-sonnet-4', owned_by: 'anthropic' }));
    expect(models.map((m) => m.id)).toHaveLength(5 + 8);
    expect(await h.client().models.retrieve('gpt-4o')).toMatchObject({ id: 'gpt-4o', owned_by: 'openai' });
  });

  it('answers 202 with the job id when the result is deferred', async () => {
    const spy = vi.spyOn(h.tb.services.completions, 'complete').mockResolvedValueOnce({
      status: 'queued',
      content: '',
      toolCalls: [],
      finishReason: 'stop',
      source: 'queue',
      routeId: null,
      provider: null,
      model: null,
      tier: 2,
      degraded: true,
      degradedReasons: ['queued'],
      uncertain: false,
      usage: { inputTokens: 0, outputTokens: 0 },
      costUsd: 0,
      latencyMs: 1,
      attempts: 2,
      decisionId: 'dec-queued',
      policyVersion: 1,
      jobId: 'job-42',
    });
    const res = await h.post({ model: 'internal', messages: ask('later is fine') });
    spy.mockRestore();
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'queued', job_id: 'job-42', decision_id: 'dec-queued' });
  });
});

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

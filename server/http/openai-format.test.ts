import { describe, expect, it } from 'vitest';
import { hintsFromHeaders, parseChatRequest, toOpenAIParam, type BackstopHints } from './openai-format.js';

const routes = new Set(['gpt-4o', 'claude-3-5-haiku']);
const user = [{ role: 'user', content: 'hi' }];

function parse(body: Record<string, unknown>, hints: BackstopHints = {}) {
  return parseChatRequest({ model: 'critical', messages: user, ...body }, hints, routes);
}
function ok(body: Record<string, unknown>, hints: BackstopHints = {}) {
  const r = parse(body, hints);
  if (!r.ok) throw new Error(`expected a valid request: ${r.error.body.error.message}`);
  return r.value;
}
function failure(body: Record<string, unknown>, hints: BackstopHints = {}) {
  const r = parse(body, hints);
  if (r.ok) throw new Error('expected an invalid request');
  return { status: r.error.status, ...r.error.body.error };
}

describe('parseChatRequest', () => {
  it('converts every supported OpenAI field to the shared contract', () => {
    const { request, stream, includeUsage } = ok({
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'and ' },
            { type: 'text', text: 'kind' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"c":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      stop: 'END',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      logprobs: true,
      user: 'u-1',
      metadata: { team: 'a' },
      stream: true,
      stream_options: { include_usage: true },
      seed: 7,
    });
    expect(request.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'system', content: 'and kind' },
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"c":"Oslo"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', content: 'sunny' },
    ]);
    expect(request.params).toEqual({
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 50,
      stop: ['END'],
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
      toolChoice: { name: 'get_weather' },
      logprobs: true,
    });
    expect(request).toMatchObject({ trafficClass: 'critical', userId: 'u-1', metadata: { team: 'a' } });
    expect(request.route).toBeUndefined();
    expect([stream, includeUsage]).toEqual([true, true]);
  });

  it('accepts the explicit nulls that some clients send for unset fields', () => {
    const { request } = ok({ temperature: null, stop: null, tools: null, n: null, response_format: null });
    expect(request.params).toEqual({});
  });

  it('prefers max_completion_tokens over max_tokens', () => {
    expect(ok({ max_tokens: 10, max_completion_tokens: 20 }).request.params.maxTokens).toBe(20);
  });

  it('reads a route id as a pinned route with the class from the header, else non_critical', () => {
    expect(ok({ model: 'gpt-4o' }).request).toMatchObject({ route: 'gpt-4o', trafficClass: 'non_critical' });
    const pinned = ok({ model: 'gpt-4o' }, { trafficClass: 'batch' }).request;
    expect(pinned).toMatchObject({ route: 'gpt-4o', trafficClass: 'batch' });
  });

  it('lets a class named as model win over the class header', () => {
    expect(ok({ model: 'internal' }, { trafficClass: 'batch' }).request.trafficClass).toBe('internal');
  });

  it('answers 404 model_not_found for a model that is neither a class nor a route', () => {
    expect(failure({ model: 'gpt-5' })).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
  });

  it('takes feature, user, tenant, sensitivity and idempotency key from the headers', () => {
    const hints = { featureId: 'f', userId: 'hdr-user', tenantId: 't', sensitive: 'TRUE', idempotencyKey: 'k' };
    const value = ok({ user: 'body-user' }, hints);
    expect(value.request).toMatchObject({ featureId: 'f', userId: 'hdr-user', sensitive: true, idempotencyKey: 'k' });
    expect(value.tenantId).toBe('t');
  });

  it('maps response_format to responseSchema, carrying the schema name as its title', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const format = { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } };
    expect(ok({ response_format: format }).request.responseSchema).toEqual({ title: 'answer', ...schema });
    expect(ok({ response_format: { type: 'json_object' } }).request.responseSchema).toEqual({ type: 'object' });
    expect(ok({ response_format: { type: 'text' } }).request.responseSchema).toBeUndefined();
  });

  it.each([
    ['temperature', { temperature: 3 }, {}],
    ['top_p', { top_p: 'high' }, {}],
    ['max_tokens', { max_tokens: 0 }, {}],
    ['max_completion_tokens', { max_completion_tokens: -1 }, {}],
    ['stop', { stop: ['a', 'b', 'c', 'd', 'e'] }, {}],
    ['messages', { messages: [] }, {}],
    ['messages[0].role', { messages: [{ role: 'function', content: 'x' }] }, {}],
    ['messages[0].content', { messages: [{ role: 'user' }] }, {}],
    [
      'messages[0].content[0].type',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] },
      {},
    ],
    ['messages[0].tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, {}],
    ['tools[0].function.name', { tools: [{ type: 'function', function: { name: '' } }] }, {}],
    ['tool_choice', { tool_choice: 'sometimes' }, {}],
    ['n', { n: 2 }, {}],
    ['x-backstop-class', { model: 'gpt-4o' }, { trafficClass: 'vip' }],
    ['x-backstop-sensitive', {}, { sensitive: 'maybe' }],
    ['idempotency-key', {}, { idempotencyKey: 'k'.repeat(201) }],
    ['model', { model: 42 }, {}],
  ])('rejects a bad %s with a 400 naming it (%j)', (param, body, hints) => {
    expect(failure(body, hints as BackstopHints)).toMatchObject({ status: 400, type: 'invalid_request_error', param });
  });

  it('says which value was wrong in the message', () => {
    expect(failure({ temperature: 3 }).message).toMatch(/^Invalid 'temperature': /);
  });

  // Found by test/reliability/fuzz-endpoints.test.ts: a NUL made the decision insert fail after the answer (the
  // decision was lost), and a deeply nested schema overflowed the stack in the engine (500).
  it('refuses U+0000 anywhere and nesting past the limit, naming the field', () => {
    expect(failure({ user: 'a\u0000b' })).toMatchObject({ status: 400, param: 'user' });
    expect(failure({ messages: [{ role: 'user', content: '\u0000' }] })).toMatchObject({
      param: 'messages[0].content',
    });
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 5_000; i++) schema = { type: 'object', properties: { a: schema } };
    const deep = failure({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } });
    expect(deep).toMatchObject({ status: 400, message: expect.stringMatching(/nested deeper than 64 levels$/) });
    expect(deep.param).toMatch(/^response_format\.json_schema\.schema\.properties\.a\./);
  });
});

describe('hintsFromHeaders', () => {
  it('reads the x-backstop headers and idempotency-key, treating empty ones as absent', () => {
    const headers = new Headers({
      'x-backstop-class': 'critical',
      'x-backstop-feature': 'search',
      'x-backstop-user': 'u',
      'x-backstop-tenant': ' acme ',
      'x-backstop-sensitive': 'true',
      'idempotency-key': '',
    });
    expect(hintsFromHeaders(headers)).toEqual({
      trafficClass: 'critical',
      featureId: 'search',
      userId: 'u',
      tenantId: 'acme',
      sensitive: 'true',
      idempotencyKey: undefined,
    });
  });
});

describe('toOpenAIParam', () => {
  it.each([
    [['params', 'topP'], 'top_p'],
    [['params', 'toolChoice'], 'tool_choice'],
    [['params', 'tools', 1, 'parameters'], 'tools[1].function.parameters'],
    [['params', 'stop', 2], 'stop'],
    [['messages', 3, 'toolCalls', 0, 'name'], 'messages[3].tool_calls[0].function.name'],
    [['messages', 3, 'toolCalls', 0, 'id'], 'messages[3].tool_calls[0].id'],
    [['messages', 2, 'toolCallId'], 'messages[2].tool_call_id'],
    [['responseSchema'], 'response_format'],
    [['featureId'], 'x-backstop-feature'],
  ])('maps %j to %s', (path, param) => {
    expect(toOpenAIParam(path)).toBe(param);
  });
});

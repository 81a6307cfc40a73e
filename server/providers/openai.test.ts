import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CONVERSATION,
  TEST_KEY,
  WEATHER_TOOL,
  callWith,
  failureOf,
  neverAborted,
  collectStream,
  thrown,
} from '../../test/fixtures/providers/calls.js';
import {
  fixture,
  fixtureJson,
  json,
  sse,
  startLoopback,
  type Loopback,
} from '../../test/fixtures/providers/loopback-server.js';
import { createHttpAgent } from './http.js';
import { createOpenAIAdapter, fromOpenAIResponse, toOpenAIRequest, type OpenAIAdapterOptions } from './openai.js';

const signal = neverAborted;

const SCHEMA = {
  title: 'weather report',
  type: 'object',
  properties: { summary: { type: 'string' } },
  required: ['summary'],
  additionalProperties: false,
};

describe('toOpenAIRequest', () => {
  it('maps every param, the tools and the response schema to the chat completions body', () => {
    const call = callWith(
      'gpt-4o-mini',
      CONVERSATION,
      {
        temperature: 0.2,
        topP: 0.9,
        maxTokens: 256,
        stop: ['END'],
        tools: [WEATHER_TOOL],
        toolChoice: { name: 'get_weather' },
        logprobs: true,
      },
      { responseSchema: SCHEMA, routeParams: { seed: 7, user: 'tenant-1' } },
    );
    expect(toOpenAIRequest(call, { stream: false })).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris, France"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":18,"unit":"C"}' },
        { role: 'assistant', content: 'It is 18°C in Paris.' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 256,
      stop: ['END'],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a place.',
            parameters: WEATHER_TOOL.parameters,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      logprobs: true,
      response_format: { type: 'json_schema', json_schema: { name: 'weather_report', schema: SCHEMA, strict: true } },
      seed: 7,
      user: 'tenant-1',
    });
  });

  it('asks for usage in the last chunk when streaming', () => {
    const body = toOpenAIRequest(callWith('gpt-4o-mini'), { stream: true });
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('passes string tool choices through', () => {
    for (const toolChoice of ['auto', 'none', 'required'] as const) {
      expect(toOpenAIRequest(callWith('m', undefined, { toolChoice }), { stream: false }).tool_choice).toBe(toolChoice);
    }
  });

  it('sends max_completion_tokens instead of max_tokens when the route asks for it', () => {
    const call = callWith('o3-mini', undefined, { maxTokens: 500 }, { routeParams: { max_completion_tokens: 4000 } });
    const body = toOpenAIRequest(call, { stream: false });
    expect(body.max_tokens).toBeUndefined();
    expect(body.max_completion_tokens).toBe(4000);
  });

  it('does not let route params replace the conversation or the streaming switch', () => {
    const call = callWith('m', undefined, {}, { routeParams: { messages: [], stream: false, model: 'other' } });
    const body = toOpenAIRequest(call, { stream: true });
    expect(body).toMatchObject({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }] });
  });

  it('asks for strict structured output only when the schema closes extra properties', () => {
    const body = toOpenAIRequest(callWith('m', undefined, {}, { responseSchema: { type: 'object' } }), {
      stream: false,
    });
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema: { type: 'object' }, strict: false },
    });
  });

  it('sends an empty string for an assistant turn without content or tool calls', () => {
    const body = toOpenAIRequest(callWith('m', [{ role: 'assistant', content: null }]), { stream: false });
    expect(body.messages).toEqual([{ role: 'assistant', content: '' }]);
  });
});

describe('fromOpenAIResponse', () => {
  it('returns a content_filter finish as a result, not an error', () => {
    const result = fromOpenAIResponse(fixtureJson('openai', 'chat-completion-content-filter.json'));
    expect(result).toMatchObject({
      content: '',
      finishReason: 'content_filter',
      usage: { inputTokens: 14, outputTokens: 0 },
    });
  });

  it('reports message.refusal separately and finishes as a refusal', () => {
    const result = fromOpenAIResponse(fixtureJson('openai', 'chat-completion-refusal.json'));
    expect(result).toMatchObject({
      content: '',
      refusal: "I'm sorry, I can't assist with that request.",
      finishReason: 'refusal',
      model: 'gpt-4o-2024-08-06',
    });
  });

  it('reads per-token log-probabilities', () => {
    const result = fromOpenAIResponse(fixtureJson('openai', 'chat-completion-logprobs.json'));
    expect(result.tokenLogprobs).toEqual([-0.31725305, -0.02380986]);
  });

  it('reads the answering model and leaves out absent extras', () => {
    const result = fromOpenAIResponse(fixtureJson('openai', 'chat-completion.json'));
    expect(result.model).toBe('gpt-4o-mini-2024-07-18');
    expect(result).not.toHaveProperty('refusal');
    expect(result).not.toHaveProperty('tokenLogprobs');
  });

  it('throws when the response has no choices', () => {
    expect(() => fromOpenAIResponse({ choices: [] })).toThrow(/no choices/);
  });
});

describe('createOpenAIAdapter', () => {
  let server: Loopback;
  let agent: ReturnType<typeof createHttpAgent>;
  const adapter = (options: Partial<OpenAIAdapterOptions> = {}) =>
    createOpenAIAdapter({ baseUrl: `${server.baseUrl}/v1/`, apiKey: TEST_KEY, dispatcher: agent, ...options });

  beforeAll(async () => {
    server = await startLoopback();
    agent = createHttpAgent();
  });
  afterEach(() => {
    server.requests.length = 0;
  });
  afterAll(async () => {
    await agent.close();
    await server.close();
  });

  it('sends the exact wire body and headers', async () => {
    server.reply(json(200, fixtureJson('openai', 'chat-completion.json')));
    const call = callWith('gpt-4o-mini', CONVERSATION, { temperature: 0 });
    await adapter({ headers: { 'OpenAI-Organization': 'org-test' } }).complete(call, signal());
    const [req] = server.requests;
    expect(req?.url).toBe('/v1/chat/completions');
    expect(req?.body).toEqual(toOpenAIRequest(call, { stream: false }));
    expect(req?.headers).toMatchObject({
      authorization: `Bearer ${TEST_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'openai-organization': 'org-test',
    });
    expect(req?.headers['api-key']).toBeUndefined();
  });

  it('asks for an event stream with usage when streaming', async () => {
    server.reply(sse(fixture('openai', 'stream-text.sse')));
    await collectStream(adapter().stream!(callWith('gpt-4o-mini'), signal()));
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('calls Azure deployments with api-version and the api-key header', async () => {
    server.reply(json(200, fixtureJson('openai', 'chat-completion.json')));
    await adapter({ azure: { apiVersion: '2024-10-21' } }).complete(callWith('prod-gpt4o'), signal());
    const [req] = server.requests;
    expect(req?.url).toBe('/v1/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21');
    expect(req?.headers['api-key']).toBe(TEST_KEY);
    expect(req?.headers.authorization).toBeUndefined();
  });

  it('sends the key as api-key, or not at all, when told to', async () => {
    server.reply(json(200, fixtureJson('openai', 'chat-completion.json')));
    await adapter({ auth: 'api-key' }).complete(callWith('m'), signal());
    await adapter({ auth: 'none' }).complete(callWith('m'), signal());
    await adapter({ apiKey: undefined }).complete(callWith('m'), signal());
    const [apiKey, none, keyless] = server.requests;
    expect(apiKey?.headers['api-key']).toBe(TEST_KEY);
    expect(apiKey?.headers.authorization).toBeUndefined();
    for (const req of [none, keyless]) {
      expect(req?.headers.authorization).toBeUndefined();
      expect(req?.headers['api-key']).toBeUndefined();
    }
  });

  it('maps a 429 insufficient_quota to quota_exhausted, not a rate limit', async () => {
    server.reply(json(429, fixtureJson('openai', 'error-insufficient-quota.json')));
    const failure = failureOf(await thrown(() => adapter().complete(callWith('m'), signal())));
    expect(failure).toMatchObject({ kind: 'quota_exhausted', status: 429, providerCode: 'insufficient_quota' });
  });

  it('reads Retry-After as an HTTP date against the injected clock', async () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    server.reply(
      json(429, fixtureJson('openai', 'error-rate-limit.json'), { 'retry-after': 'Sun, 01 Jun 2025 12:00:05 GMT' }),
    );
    const failure = failureOf(await thrown(() => adapter({ now: () => now }).complete(callWith('m'), signal())));
    expect(failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 5000 });
  });

  it('reads the x-ratelimit-reset duration when there is no Retry-After', async () => {
    server.reply(json(429, fixtureJson('openai', 'error-rate-limit.json'), { 'x-ratelimit-reset-tokens': '1m30s' }));
    const failure = failureOf(await thrown(() => adapter().complete(callWith('m'), signal())));
    expect(failure.retryAfterMs).toBe(90_000);
  });

  it('throws the classified kind for an error object inside a 200 stream', async () => {
    const text = fixture('openai', 'stream-text.sse').split('\n\n').slice(0, 3).join('\n\n');
    const error = {
      error: { message: 'The server had an error while processing your request.', type: 'server_error' },
    };
    server.reply(sse(`${text}\n\ndata: ${JSON.stringify(error)}\n\n`));
    const events: string[] = [];
    const failure = failureOf(
      await thrown(async () => {
        for await (const e of adapter().stream!(callWith('m'), signal())) events.push(e.type);
      }),
    );
    expect(failure.kind).toBe('server_error');
    expect(events).toContain('text');
  });

  it('reads an unplaceable error object inside a stream as stream_interrupted', async () => {
    server.reply(sse(`data: ${JSON.stringify({ error: { message: 'something broke' } })}\n\n`));
    const failure = failureOf(await thrown(() => collectStream(adapter().stream!(callWith('m'), signal()))));
    expect(failure).toMatchObject({ kind: 'stream_interrupted', message: 'something broke' });
  });

  it('accepts a stream that closes after finish_reason without [DONE]', async () => {
    const text = fixture('openai', 'stream-text.sse').replace('data: [DONE]\n\n', '');
    server.reply(sse(text));
    const out = await collectStream(adapter().stream!(callWith('m'), signal()));
    expect(out.finish).toMatchObject({ finishReason: 'stop', usage: { inputTokens: 19, outputTokens: 10 } });
  });

  it('treats garbage in a data line as a broken stream', async () => {
    server.reply(sse('data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {not json\n\n'));
    const failure = failureOf(await thrown(() => collectStream(adapter().stream!(callWith('m'), signal()))));
    expect(failure.kind).toBe('stream_interrupted');
  });

  it('treats a data line that is not a JSON object as a broken stream', async () => {
    server.reply(sse('data: null\n\n'));
    const failure = failureOf(await thrown(() => collectStream(adapter().stream!(callWith('m'), signal()))));
    expect(failure.kind).toBe('stream_interrupted');
  });

  it('cancels a stream whose consumer is waiting for the next chunk', async () => {
    const chunk = { choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] };
    server.reply(sse(`data: ${JSON.stringify(chunk)}\n\n`, { then: 'hang' }));
    const controller = new AbortController();
    const iterator = adapter().stream!(callWith('m'), controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'Hi' });
    const waiting = thrown(() => iterator.next());
    controller.abort();
    expect(failureOf(await waiting).kind).toBe('aborted');
    await server.requests[0]!.socketClosed;
  });

  it('marks a streamed refusal in the finish without streaming it as answer text', async () => {
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    server.reply(sse(chunk({ refusal: "I'm sorry" }) + chunk({}, 'stop') + 'data: [DONE]\n\n'));
    const out = await collectStream(adapter().stream!(callWith('m'), signal()));
    expect(out.text).toBe('');
    expect(out.finish).toMatchObject({ finishReason: 'refusal', model: 'gpt-4o' });
  });

  it('reports the model the stream says answered', async () => {
    server.reply(sse(fixture('openai', 'stream-tool-calls.sse')));
    const out = await collectStream(adapter().stream!(callWith('m'), signal()));
    expect(out.finish?.model).toBe('gpt-4o-mini-2024-07-18');
    expect(out.toolCalls).toEqual([
      { id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather', arguments: '{"location":"Paris, France"}' },
    ]);
  });

  it('reads a malformed 200 body as an unknown failure', async () => {
    server.reply(json(200, '{"choices": ['));
    const failure = failureOf(await thrown(() => adapter().complete(callWith('m'), signal())));
    expect(failure).toMatchObject({ kind: 'unknown', status: 200 });
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../shared/contracts/completion.js';
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
import { createAnthropicAdapter, fromAnthropicResponse, toAnthropicRequest } from './anthropic.js';
import { createHttpAgent } from './http.js';

const signal = neverAborted;

describe('toAnthropicRequest', () => {
  it('hoists system, sends tool calls as tool_use and tool results as user tool_result blocks', () => {
    const call = callWith(
      'claude-sonnet-4-20250514',
      CONVERSATION,
      { temperature: 0.2, topP: 0.9, maxTokens: 256, stop: ['END'], tools: [WEATHER_TOOL], toolChoice: 'auto' },
      { routeParams: { top_k: 40, metadata: { user_id: 'tenant-1' } } },
    );
    expect(toAnthropicRequest(call, { stream: false })).toEqual({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 256,
      system: 'You are a weather assistant.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris, France' } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_1', content: '{"temperature":18,"unit":"C"}' }],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'It is 18°C in Paris.' }] },
        { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      tools: [
        { name: 'get_weather', description: 'Current weather for a place.', input_schema: WEATHER_TOOL.parameters },
      ],
      tool_choice: { type: 'auto' },
      top_k: 40,
      metadata: { user_id: 'tenant-1' },
    });
  });

  it('defaults max_tokens to 1024, which Anthropic requires', () => {
    expect(toAnthropicRequest(callWith('claude-3-5-haiku-latest'), { stream: false }).max_tokens).toBe(1024);
  });

  it('merges parallel tool results and a following user turn into one user turn, keeping roles alternating', () => {
    const messages: Message[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        toolCalls: [
          { id: 'toolu_a', name: 'get_weather', arguments: '{"location":"Paris"}' },
          { id: 'toolu_b', name: 'get_weather', arguments: '{"location":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_a', content: '18C' },
      { role: 'tool', toolCallId: 'toolu_b', content: '24C' },
      { role: 'user', content: 'Which is warmer?' },
      { role: 'system', content: 'Answer in one word.' },
    ];
    const body = toAnthropicRequest(callWith('m', messages), { stream: true });
    expect(body.system).toBe('Be brief.\n\nAnswer in one word.');
    expect(body.stream).toBe(true);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking both.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { location: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { location: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '18C' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: '24C' },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
    ]);
  });

  it('maps tool choices to auto, any, none and a named tool', () => {
    const choice = (toolChoice: NonNullable<Parameters<typeof callWith>[2]>['toolChoice']) =>
      toAnthropicRequest(callWith('m', undefined, { toolChoice }), { stream: false }).tool_choice;
    expect(choice('auto')).toEqual({ type: 'auto' });
    expect(choice('required')).toEqual({ type: 'any' });
    expect(choice('none')).toEqual({ type: 'none' });
    expect(choice({ name: 'get_weather' })).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it('sends an empty input object for tool arguments that are not a JSON object', () => {
    const messages: Message[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: null, toolCalls: [{ id: 't1', name: 'noop', arguments: '{broken' }] },
    ];
    const body = toAnthropicRequest(callWith('m', messages), { stream: false });
    expect(body.messages).toContainEqual({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 't1', name: 'noop', input: {} }],
    });
  });
});

describe('fromAnthropicResponse', () => {
  it('joins text blocks and turns tool_use blocks into tool calls', () => {
    expect(fromAnthropicResponse(fixtureJson('anthropic', 'message-tool-use.json'))).toEqual({
      content: "I'll check the current weather in Paris for you.",
      toolCalls: [
        { id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', arguments: '{"location":"Paris, France"}' },
      ],
      finishReason: 'tool_calls',
      usage: { inputTokens: 82, outputTokens: 17 },
      model: 'claude-sonnet-4-20250514',
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'refusal'],
  ] as const)('maps stop_reason %s to %s', (stopReason, finishReason) => {
    const body = { ...(fixtureJson('anthropic', 'message.json') as object), stop_reason: stopReason };
    expect(fromAnthropicResponse(body).finishReason).toBe(finishReason);
  });

  it('counts cached prompt tokens as input', () => {
    const body = {
      ...(fixtureJson('anthropic', 'message.json') as object),
      usage: { input_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 900, output_tokens: 10 },
    };
    expect(fromAnthropicResponse(body).usage).toEqual({ inputTokens: 1005, outputTokens: 10 });
  });
});

describe('createAnthropicAdapter', () => {
  let server: Loopback;
  let agent: ReturnType<typeof createHttpAgent>;
  const adapter = (options: { version?: string; headers?: Record<string, string> } = {}) =>
    createAnthropicAdapter({ baseUrl: `${server.baseUrl}/`, apiKey: TEST_KEY, dispatcher: agent, ...options });

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

  it('sends the exact wire body with x-api-key and anthropic-version', async () => {
    server.reply(json(200, fixtureJson('anthropic', 'message.json')));
    const call = callWith('claude-sonnet-4-20250514', CONVERSATION, { tools: [WEATHER_TOOL] });
    await adapter({ headers: { 'anthropic-beta': 'token-efficient-tools-2025-02-19' } }).complete(call, signal());
    const [req] = server.requests;
    expect(req?.url).toBe('/v1/messages');
    expect(req?.body).toEqual(toAnthropicRequest(call, { stream: false }));
    expect(req?.headers).toMatchObject({
      'x-api-key': TEST_KEY,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'token-efficient-tools-2025-02-19',
      'content-type': 'application/json',
    });
    expect(req?.headers.authorization).toBeUndefined();
  });

  it('sends a configured anthropic-version', async () => {
    server.reply(json(200, fixtureJson('anthropic', 'message.json')));
    await adapter({ version: '2024-01-01' }).complete(callWith('m'), signal());
    expect(server.requests[0]?.headers['anthropic-version']).toBe('2024-01-01');
  });

  it('throws overloaded for an error event after HTTP 200, after the text that came before it', async () => {
    server.reply(sse(fixture('anthropic', 'stream-error-overloaded.sse')));
    const texts: string[] = [];
    const failure = failureOf(
      await thrown(async () => {
        for await (const e of adapter().stream!(callWith('m'), signal())) if (e.type === 'text') texts.push(e.text);
      }),
    );
    expect(texts).toEqual(['Hello!']);
    expect(failure).toMatchObject({ kind: 'overloaded', providerCode: 'overloaded_error', message: 'Overloaded' });
    expect(failure.status).toBeUndefined();
  });

  it('maps HTTP 529 to overloaded', async () => {
    server.reply(json(529, fixtureJson('anthropic', 'error-overloaded.json')));
    const failure = failureOf(await thrown(() => collectStream(adapter().stream!(callWith('m'), signal()))));
    expect(failure).toMatchObject({ kind: 'overloaded', status: 529 });
  });

  it('maps a 400 "prompt is too long" to context_length', async () => {
    server.reply(json(400, fixtureJson('anthropic', 'error-prompt-too-long.json')));
    const failure = failureOf(await thrown(() => adapter().complete(callWith('m'), signal())));
    expect(failure.kind).toBe('context_length');
  });

  it('streams tool calls numbered by call, not by content block, with preceding text', async () => {
    server.reply(sse(fixture('anthropic', 'stream-tool-use.sse'), { chunkSize: 5 }));
    const out = await collectStream(adapter().stream!(callWith('m'), signal()));
    expect(out.text).toBe("I'll check the current weather in Paris for you.");
    expect(out.toolCalls).toEqual([
      { id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', arguments: '{"location": "Paris, France"}' },
    ]);
    expect(out.events.filter((e) => e.type === 'tool_call').every((e) => e.type === 'tool_call' && e.index === 0)).toBe(
      true,
    );
    expect(out.finish).toMatchObject({ finishReason: 'tool_calls', model: 'claude-sonnet-4-20250514' });
  });

  it('streams {} for a tool call without arguments', async () => {
    const events = [
      {
        type: 'message_start',
        message: { model: 'claude-3-5-haiku-20241022', usage: { input_tokens: 3, output_tokens: 1 } },
      },
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_x', name: 'now', input: {} },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ];
    server.reply(sse(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')));
    const out = await collectStream(adapter().stream!(callWith('m'), signal()));
    expect(out.toolCalls).toEqual([{ id: 'toolu_x', name: 'now', arguments: '{}' }]);
    expect(out.finish).toMatchObject({ finishReason: 'tool_calls', usage: { inputTokens: 3, outputTokens: 9 } });
  });
});

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
import { createGeminiAdapter, fromGeminiResponse, toGeminiRequest } from './gemini.js';
import { createHttpAgent } from './http.js';

const signal = neverAborted;

const SCHEMA = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };

describe('toGeminiRequest', () => {
  it('maps system, turns, function calls and responses, tools and generationConfig', () => {
    const call = callWith(
      'gemini-2.5-flash',
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
      {
        responseSchema: SCHEMA,
        routeParams: {
          safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
          generationConfig: { thinkingConfig: { thinkingBudget: 0 } },
        },
      },
    );
    expect(toGeminiRequest(call)).toEqual({
      systemInstruction: { parts: [{ text: 'You are a weather assistant.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris, France' } } }] },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 18, unit: 'C' } } }],
        },
        { role: 'model', parts: [{ text: 'It is 18°C in Paris.' }] },
        { role: 'user', parts: [{ text: 'And tomorrow?' }] },
      ],
      tools: [
        {
          functionDeclarations: [
            { name: 'get_weather', description: 'Current weather for a place.', parameters: WEATHER_TOOL.parameters },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      generationConfig: {
        temperature: 0.2,
        topP: 0.9,
        maxOutputTokens: 256,
        stopSequences: ['END'],
        responseLogprobs: true,
        responseMimeType: 'application/json',
        responseSchema: SCHEMA,
        thinkingConfig: { thinkingBudget: 0 },
      },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
    });
  });

  it('answers parallel calls in one user turn, named by the tool message or by the call it answers', () => {
    const messages: Message[] = [
      { role: 'user', content: 'Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [
          { id: 'a', name: 'get_weather', arguments: '{"location":"Paris"}' },
          { id: 'b', name: 'get_time', arguments: '{"location":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'a', content: '18C' },
      { role: 'tool', toolCallId: 'b', name: 'get_time', content: '["14:00"]' },
    ];
    expect(toGeminiRequest(callWith('m', messages)).contents).toEqual([
      { role: 'user', parts: [{ text: 'Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { text: 'Checking.' },
          { functionCall: { name: 'get_weather', args: { location: 'Paris' } } },
          { functionCall: { name: 'get_time', args: { location: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { output: '18C' } } },
          { functionResponse: { name: 'get_time', response: { output: '["14:00"]' } } },
        ],
      },
    ]);
  });

  it('maps tool choices to AUTO, ANY and NONE', () => {
    const mode = (toolChoice: 'auto' | 'required' | 'none') =>
      toGeminiRequest(callWith('m', undefined, { toolChoice })).toolConfig;
    expect(mode('auto')).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(mode('required')).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(mode('none')).toEqual({ functionCallingConfig: { mode: 'NONE' } });
  });

  it('leaves out generationConfig when nothing sets it', () => {
    expect(toGeminiRequest(callWith('m'))).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] });
  });
});

describe('fromGeminiResponse', () => {
  it('makes ids for function calls from the prefix and reads STOP with a call as tool_calls', () => {
    const result = fromGeminiResponse(fixtureJson('gemini', 'generate-content-function-call.json'), 'call_req_9');
    expect(result.toolCalls).toEqual([
      { id: 'call_req_9_0', name: 'get_weather', arguments: '{"location":"Paris, France"}' },
    ]);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.model).toBe('gemini-2.0-flash');
  });

  it('leaves thought summaries out of the answer and bills thinking tokens as output', () => {
    const result = fromGeminiResponse(fixtureJson('gemini', 'generate-content-thinking.json'));
    expect(result.content).toBe('Hello! How can I help you today?');
    expect(result.usage).toEqual({ inputTokens: 19, outputTokens: 122 });
  });

  it('reads SAFETY as content_filter', () => {
    const result = fromGeminiResponse(fixtureJson('gemini', 'generate-content-safety.json'));
    expect(result).toMatchObject({
      content: '',
      finishReason: 'content_filter',
      usage: { inputTokens: 14, outputTokens: 0 },
    });
  });

  it('reads a prompt blocked before any candidate as content_filter', () => {
    const result = fromGeminiResponse(fixtureJson('gemini', 'generate-content-prompt-blocked.json'));
    expect(result).toMatchObject({ content: '', toolCalls: [], finishReason: 'content_filter' });
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['RECITATION', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'error'],
    ['FINISH_REASON_UNSPECIFIED', 'stop'],
  ] as const)('maps finishReason %s to %s', (raw, finishReason) => {
    const body = fixtureJson('gemini', 'generate-content.json') as { candidates: { finishReason: string }[] };
    body.candidates[0]!.finishReason = raw;
    expect(fromGeminiResponse(body).finishReason).toBe(finishReason);
  });

  it('reads chosen-candidate log-probabilities', () => {
    const body = fixtureJson('gemini', 'generate-content.json') as { candidates: object[] };
    body.candidates[0] = {
      ...body.candidates[0],
      logprobsResult: {
        chosenCandidates: [
          { token: 'Hello', logProbability: -0.25 },
          { token: '!', logProbability: -0.01 },
        ],
      },
    };
    expect(fromGeminiResponse(body).tokenLogprobs).toEqual([-0.25, -0.01]);
  });
});

describe('createGeminiAdapter', () => {
  let server: Loopback;
  let agent: ReturnType<typeof createHttpAgent>;
  const adapter = () => createGeminiAdapter({ baseUrl: server.baseUrl, apiKey: TEST_KEY, dispatcher: agent });

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

  it('sends the exact wire body with the key in x-goog-api-key, never in the URL', async () => {
    server.reply(json(200, fixtureJson('gemini', 'generate-content.json')));
    const call = callWith('models/gemini-2.5-flash', CONVERSATION, { tools: [WEATHER_TOOL] });
    await adapter().complete(call, signal());
    const [req] = server.requests;
    expect(req?.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req?.body).toEqual(toGeminiRequest(call));
    expect(req?.headers['x-goog-api-key']).toBe(TEST_KEY);
    expect(req?.url).not.toContain('key=');
  });

  it('maps RESOURCE_EXHAUSTED to rate_limited with the RetryInfo delay', async () => {
    server.reply(json(429, fixtureJson('gemini', 'error-resource-exhausted.json')));
    const failure = failureOf(await thrown(() => adapter().complete(callWith('gemini-2.0-flash'), signal())));
    expect(failure).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      providerCode: 'RESOURCE_EXHAUSTED',
      retryAfterMs: 30_000,
    });
  });

  it('maps PERMISSION_DENIED to auth', async () => {
    server.reply(json(403, fixtureJson('gemini', 'error-permission-denied.json')));
    const failure = failureOf(await thrown(() => adapter().complete(callWith('gemini-2.0-flash'), signal())));
    expect(failure.kind).toBe('auth');
  });

  it('streams function calls whole, with ids from the request id', async () => {
    server.reply(sse(fixture('gemini', 'stream-function-call.sse')));
    const out = await collectStream(adapter().stream!(callWith('gemini-2.0-flash'), signal()));
    expect(out.toolCalls).toEqual([
      { id: 'call_req_1_0', name: 'get_weather', arguments: '{"location":"Paris, France"}' },
    ]);
    expect(out.finish).toMatchObject({ finishReason: 'tool_calls', model: 'gemini-2.0-flash' });
  });

  it('throws the classified kind for an error chunk inside a 200 stream', async () => {
    const first = fixture('gemini', 'stream-text.sse').split('\r\n\r\n')[0];
    const error = {
      error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
    };
    server.reply(sse(`${first}\r\n\r\ndata: ${JSON.stringify(error)}\r\n\r\n`));
    const failure = failureOf(
      await thrown(() => collectStream(adapter().stream!(callWith('gemini-2.0-flash'), signal()))),
    );
    expect(failure).toMatchObject({ kind: 'overloaded', providerCode: 'UNAVAILABLE' });
  });

  it('finishes a stream whose prompt was blocked with content_filter', async () => {
    server.reply(sse(`data: ${JSON.stringify(fixtureJson('gemini', 'generate-content-prompt-blocked.json'))}\r\n\r\n`));
    const out = await collectStream(adapter().stream!(callWith('gemini-2.0-flash'), signal()));
    expect(out.finish).toMatchObject({ finishReason: 'content_filter', usage: { inputTokens: 14, outputTokens: 0 } });
  });
});

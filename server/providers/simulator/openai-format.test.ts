import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './server.js';
import { startSimulator } from './server.js';
import { openaiBody, parseSse, send } from './test-helpers.js';

const ID = expect.stringMatching(/^chatcmpl-[A-Za-z0-9]{29}$/);
const FINGERPRINT = expect.stringMatching(/^fp_[0-9a-f]{10}$/);
const USAGE_DETAILS = {
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};
const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } } },
  },
};

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 1, answers: { 'sim-canned': 'The capital of France is Paris.' } });
});
afterAll(() => sim.close());

describe('OpenAI chat completions (JSON)', () => {
  it('answers with the exact chat.completion shape, echoing the last user message', async () => {
    const res = await send(sim.url, '/v1/chat/completions', { body: openaiBody('What is the capital of France?') });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-request-id']).toMatch(/^req_[A-Za-z0-9]{32}$/);
    expect(JSON.parse(res.text)).toEqual({
      id: ID,
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'sim-standard',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'You said: "What is the capital of France?"',
            refusal: null,
            annotations: [],
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      // 30 input characters -> 8 tokens, 42 output characters -> 11 tokens, at ~4 characters a token.
      usage: { prompt_tokens: 8, completion_tokens: 11, total_tokens: 19, ...USAGE_DETAILS },
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
    });
  });

  it('serves the canned answer of a model that has one', async () => {
    const res = await send(sim.url, '/v1/chat/completions', { body: openaiBody('Capital?', {}, 'sim-canned') });
    expect(JSON.parse(res.text).choices[0].message.content).toBe('The capital of France is Paris.');
  });

  it('continues from an assistant prefix instead of starting over', async () => {
    const body = {
      model: 'sim-canned',
      messages: [
        { role: 'user', content: 'Capital?' },
        { role: 'assistant', content: 'The capital of ' },
      ],
    };
    const res = await send(sim.url, '/v1/chat/completions', { body });
    expect(JSON.parse(res.text).choices[0].message.content).toBe('France is Paris.');
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const res = await send(sim.url, '/v1/chat/completions', {
      body: openaiBody('Capital?', { max_tokens: 2 }, 'sim-canned'),
    });
    const json = JSON.parse(res.text);
    expect(json.choices[0]).toMatchObject({ message: { content: 'The capi' }, finish_reason: 'length' });
    expect(json.usage.completion_tokens).toBe(2);
  });

  it('calls a tool when tools are given and the prompt names one', async () => {
    const res = await send(sim.url, '/v1/chat/completions', {
      body: openaiBody('Use get_weather for Paris', { tools: [WEATHER_TOOL] }),
    });
    const choice = JSON.parse(res.text).choices[0];
    expect(choice).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/),
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"sample","unit":"c"}' },
          },
        ],
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  it('answers a tool result with text rather than calling the tool again', async () => {
    const body = {
      model: 'sim-standard',
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Use get_weather' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '21 degrees' },
      ],
    };
    const res = await send(sim.url, '/v1/chat/completions', { body });
    expect(JSON.parse(res.text).choices[0]).toMatchObject({
      message: { content: 'The tool returned: "21 degrees"' },
      finish_reason: 'stop',
    });
  });

  it('rejects a body without messages with the OpenAI error envelope', async () => {
    const res = await send(sim.url, '/v1/chat/completions', { body: { model: 'sim-standard' } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      error: {
        message: expect.stringContaining('messages'),
        type: 'invalid_request_error',
        param: 'messages',
        code: null,
      },
    });
  });

  it('lists models in the OpenAI list shape', async () => {
    const res = await send(sim.url, '/v1/models');
    const json = JSON.parse(res.text);
    expect(json.object).toBe('list');
    expect(json.data).toContainEqual({
      id: 'sim-canned',
      object: 'model',
      created: expect.any(Number),
      owned_by: 'backstop-simulator',
    });
    expect(json.data.map((m: { id: string }) => m.id)).toEqual([
      'sim-premium',
      'sim-standard',
      'sim-budget',
      'sim-canned',
    ]);
  });

  it('answers an unknown path with a 404 envelope', async () => {
    const res = await send(sim.url, '/v1/nope', { body: {} });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text).error).toMatchObject({
      type: 'invalid_request_error',
      message: 'Invalid URL (POST /v1/nope)',
    });
  });
});

describe('OpenAI chat completions (SSE)', () => {
  it('streams role, content and finish chunks, a usage chunk, then [DONE]', async () => {
    const res = await send(sim.url, '/v1/chat/completions', {
      body: openaiBody('Hi there', { stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = parseSse(res.text);
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    const base = {
      id: ID,
      object: 'chat.completion.chunk',
      created: expect.any(Number),
      model: 'sim-standard',
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
    };
    const choice = (delta: unknown, finish: string | null = null) => [
      { index: 0, delta, logprobs: null, finish_reason: finish },
    ];
    expect(chunks).toEqual([
      { ...base, choices: choice({ role: 'assistant', content: '', refusal: null }), usage: null },
      { ...base, choices: choice({ content: 'You ' }), usage: null },
      { ...base, choices: choice({ content: 'said: ' }), usage: null },
      { ...base, choices: choice({ content: '"Hi ' }), usage: null },
      { ...base, choices: choice({ content: 'there"' }), usage: null },
      { ...base, choices: choice({}, 'stop'), usage: null },
      { ...base, choices: [], usage: { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7, ...USAGE_DETAILS } },
    ]);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('leaves usage out of every chunk without include_usage', async () => {
    const res = await send(sim.url, '/v1/chat/completions', { body: openaiBody('Hi', { stream: true }) });
    const chunks = parseSse(res.text)
      .slice(0, -1)
      .map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
  });

  it('streams a tool call as a header chunk and argument deltas that join to the JSON', async () => {
    const res = await send(sim.url, '/v1/chat/completions', {
      body: openaiBody('anything', { stream: true, tools: [WEATHER_TOOL], tool_choice: 'required' }),
    });
    const chunks = parseSse(res.text)
      .slice(0, -1)
      .map((e) => JSON.parse(e.data));
    expect(chunks[0].choices[0].delta).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          index: 0,
          id: expect.stringMatching(/^call_/),
          type: 'function',
          function: { name: 'get_weather', arguments: '' },
        },
      ],
      refusal: null,
    });
    const args = chunks
      .slice(1, -1)
      .map((c) => c.choices[0].delta.tool_calls[0].function.arguments)
      .join('');
    expect(JSON.parse(args)).toEqual({ city: 'sample', unit: 'c' });
    expect(chunks.at(-1).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' });
  });
});

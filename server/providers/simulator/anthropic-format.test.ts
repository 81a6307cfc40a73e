import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './server.js';
import { startSimulator } from './server.js';
import { anthropicBody, parseSse, send } from './test-helpers.js';

const MSG_ID = expect.stringMatching(/^msg_01[A-Za-z0-9]{22}$/);
const WEATHER_TOOL = {
  name: 'get_weather',
  input_schema: { type: 'object', properties: { city: { type: 'string' } } },
};

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 1, answers: { 'sim-canned': 'The capital of France is Paris.' } });
});
afterAll(() => sim.close());

describe('Anthropic messages (JSON)', () => {
  it('answers with the exact message shape and usage', async () => {
    const res = await send(sim.url, '/v1/messages', {
      body: anthropicBody('What is the capital of France?', { system: 'Be brief.' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['request-id']).toMatch(/^req_011C[A-Za-z0-9]{20}$/);
    expect(JSON.parse(res.text)).toEqual({
      id: MSG_ID,
      type: 'message',
      role: 'assistant',
      model: 'sim-standard',
      content: [{ type: 'text', text: 'You said: "What is the capital of France?"' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      // System and user text together: 39 characters -> 10 tokens; 42 output characters -> 11 tokens.
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 11,
        service_tier: 'standard',
      },
    });
  });

  it('continues a prefilled assistant turn', async () => {
    const body = {
      model: 'sim-canned',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'Capital?' },
        { role: 'assistant', content: 'The capital of' },
      ],
    };
    const res = await send(sim.url, '/v1/messages', { body });
    expect(JSON.parse(res.text).content).toEqual([{ type: 'text', text: ' France is Paris.' }]);
  });

  it('stops at max_tokens with stop_reason max_tokens', async () => {
    const res = await send(sim.url, '/v1/messages', {
      body: anthropicBody('Capital?', { max_tokens: 3 }, 'sim-canned'),
    });
    expect(JSON.parse(res.text)).toMatchObject({
      content: [{ type: 'text', text: 'The capital ' }],
      stop_reason: 'max_tokens',
      usage: { output_tokens: 3 },
    });
  });

  it('answers with a tool_use block when the prompt names a tool', async () => {
    const res = await send(sim.url, '/v1/messages', {
      body: anthropicBody('Please call get_weather', { tools: [WEATHER_TOOL] }),
    });
    expect(JSON.parse(res.text)).toMatchObject({
      content: [
        {
          type: 'tool_use',
          id: expect.stringMatching(/^toolu_01[A-Za-z0-9]{22}$/),
          name: 'get_weather',
          input: { city: 'sample' },
        },
      ],
      stop_reason: 'tool_use',
    });
  });

  it('summarises a tool_result turn instead of calling the tool again', async () => {
    const body = {
      model: 'sim-standard',
      max_tokens: 100,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Please call get_weather' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
      ],
    };
    const res = await send(sim.url, '/v1/messages', { body });
    expect(JSON.parse(res.text)).toMatchObject({
      content: [{ type: 'text', text: 'The tool returned: "sunny"' }],
      stop_reason: 'end_turn',
    });
  });

  it('rejects a body without max_tokens with the Anthropic error shape', async () => {
    const res = await send(sim.url, '/v1/messages', {
      body: { model: 'sim-standard', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/^max_tokens: /) },
    });
  });

  it('lists models in the Anthropic shape when anthropic-version is sent', async () => {
    const res = await send(sim.url, '/v1/models', { headers: { 'anthropic-version': '2023-06-01' } });
    const json = JSON.parse(res.text);
    expect(json).toMatchObject({ has_more: false, first_id: 'sim-premium', last_id: 'sim-canned' });
    expect(json.data[0]).toEqual({
      type: 'model',
      id: 'sim-premium',
      display_name: 'sim-premium',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});

describe('Anthropic messages (SSE)', () => {
  it('streams message_start, content_block_start, ping, deltas, content_block_stop, message_delta, message_stop', async () => {
    const res = await send(sim.url, '/v1/messages', { body: anthropicBody('Hi there', { stream: true }) });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = parseSse(res.text);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    // Each event's data names its own type, as Anthropic's does.
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data[0]).toEqual({
      type: 'message_start',
      message: {
        id: MSG_ID,
        type: 'message',
        role: 'assistant',
        model: 'sim-standard',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 2,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    });
    expect(data[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(events[2]!.data).toBe('{"type": "ping"}');
    expect(data[3]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'You ' } });
    expect(
      data
        .slice(3, 7)
        .map((d) => d.delta.text)
        .join(''),
    ).toBe('You said: "Hi there"');
    expect(data[7]).toEqual({ type: 'content_block_stop', index: 0 });
    expect(data[8]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    });
    expect(data[9]).toEqual({ type: 'message_stop' });
  });

  it('streams a tool_use block as input_json_delta events', async () => {
    const res = await send(sim.url, '/v1/messages', {
      body: anthropicBody('x', {
        stream: true,
        tools: [WEATHER_TOOL],
        tool_choice: { type: 'tool', name: 'get_weather' },
      }),
    });
    const data = parseSse(res.text).map((e) => JSON.parse(e.data));
    expect(data[1]).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: expect.stringMatching(/^toolu_01/), name: 'get_weather', input: {} },
    });
    const deltas = data.filter((d) => d.type === 'content_block_delta').map((d) => d.delta);
    expect(deltas.every((d) => d.type === 'input_json_delta')).toBe(true);
    expect(JSON.parse(deltas.map((d) => d.partial_json).join(''))).toEqual({ city: 'sample' });
    expect(data.find((d) => d.type === 'message_delta').delta.stop_reason).toBe('tool_use');
  });
});

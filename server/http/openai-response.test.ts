import { describe, expect, it } from 'vitest';
import type { CompletionResult } from '../../shared/contracts/completion.js';
import {
  createChunkEncoder,
  resultHeaders,
  toChatCompletion,
  toDeferredBody,
  type ChunkEncoderOptions,
} from './openai-response.js';

function result(overrides: Partial<CompletionResult> = {}): CompletionResult {
  return {
    status: 'answered',
    content: 'Hello',
    toolCalls: [],
    finishReason: 'stop',
    source: 'provider',
    routeId: 'gpt-4.1-mini',
    provider: 'openai',
    model: 'gpt-4.1-mini',
    tier: 1,
    degraded: true,
    degradedReasons: ['fallback'],
    uncertain: false,
    usage: { inputTokens: 5, outputTokens: 2 },
    costUsd: 0,
    latencyMs: 3,
    attempts: 2,
    decisionId: 'd-1',
    policyVersion: 1,
    ...overrides,
  };
}

function encoder(overrides: Partial<ChunkEncoderOptions> = {}) {
  return createChunkEncoder({
    id: 'chatcmpl-d-1',
    created: 1700000000,
    model: 'non_critical',
    includeUsage: false,
    modelOfRoute: (id) => ({ 'gpt-4.1-mini': 'gpt-4.1-mini' })[id],
    ...overrides,
  });
}

// Splits frames into parsed data payloads and comment lines.
function read(frames: string[]) {
  const data: unknown[] = [];
  const comments: string[] = [];
  for (const frame of frames) {
    expect(frame.endsWith('\n\n')).toBe(true);
    const line = frame.trimEnd();
    if (line.startsWith(': ')) comments.push(line.slice(2));
    else data.push(line === 'data: [DONE]' ? '[DONE]' : JSON.parse(line.slice('data: '.length)));
  }
  return { data, comments };
}

describe('createChunkEncoder', () => {
  it('starts with the assistant role and streams text as content deltas', () => {
    const e = encoder();
    const { data } = read([e.start(), ...e.event({ type: 'text', text: 'Hel' })]);
    expect(data).toEqual([
      {
        id: 'chatcmpl-d-1',
        object: 'chat.completion.chunk',
        created: 1700000000,
        model: 'non_critical',
        choices: [
          { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
        ],
      },
      expect.objectContaining({ choices: [expect.objectContaining({ delta: { content: 'Hel' } })] }),
    ]);
  });

  it('sends the id, type and name of a tool call once, then argument deltas', () => {
    const e = encoder();
    const frames = [
      ...e.event({ type: 'tool_call', index: 0, id: 'call_1', name: 'get_weather', argumentsDelta: '{"c":' }),
      ...e.event({ type: 'tool_call', index: 0, argumentsDelta: '"Oslo"}' }),
    ];
    const deltas = read(frames).data.map((d) => (d as { choices: { delta: unknown }[] }).choices[0]!.delta);
    expect(deltas).toEqual([
      {
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"c":' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] },
    ]);
  });

  it('reports a fallback as an SSE comment and names the new model in later chunks', () => {
    const e = encoder();
    const { data, comments } = read([
      ...e.event({
        type: 'fallback',
        fromRouteId: 'claude-3-5-haiku',
        toRouteId: 'gpt-4.1-mini',
        reason: 'server_error',
        mode: 'transparent',
        afterChars: 0,
      }),
      ...e.event({ type: 'text', text: 'x' }),
    ]);
    expect(comments).toEqual([
      'backstop-fallback {"from":"claude-3-5-haiku","to":"gpt-4.1-mini","reason":"server_error","mode":"transparent","afterChars":0}',
    ]);
    expect(data[0]).toMatchObject({ model: 'gpt-4.1-mini' });
  });

  it('ends with the result comment, the finish chunk, the usage chunk and [DONE]', () => {
    const e = encoder({ includeUsage: true });
    const { data, comments } = read(e.event({ type: 'done', result: result({ finishReason: 'length' }) }));
    expect(comments[0]).toMatch(/^backstop-result \{"status":"answered","decisionId":"d-1","route":"gpt-4.1-mini"/);
    expect(data).toEqual([
      expect.objectContaining({
        usage: null,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }],
      }),
      {
        id: 'chatcmpl-d-1',
        object: 'chat.completion.chunk',
        created: 1700000000,
        model: 'gpt-4.1-mini',
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      },
      '[DONE]',
    ]);
  });

  it('sends a stand-in answer whole, since it never arrived as deltas', () => {
    const e = encoder();
    const standIn = result({ source: 'default_response', content: 'Try later.', model: null, routeId: null });
    const { data } = read(e.event({ type: 'done', result: standIn }));
    expect(data[0]).toMatchObject({ model: 'non_critical', choices: [{ delta: { content: 'Try later.' } }] });
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('leaves usage out unless asked', () => {
    const { data } = read(encoder().event({ type: 'done', result: result() }));
    expect(data).toHaveLength(2);
    expect(data[0]).not.toHaveProperty('usage');
  });

  it('writes a failure after the first byte as a data event the openai client raises', () => {
    const body = { error: { message: 'x', type: 'server_error', param: null, code: 'all_tiers_failed' } };
    expect(encoder().error(body)).toBe(`data: ${JSON.stringify(body)}\n\n`);
  });
});

describe('toChatCompletion', () => {
  it('builds a chat.completion with the answering model, finish reason and usage', () => {
    expect(
      toChatCompletion(result({ model: 'gpt-4o-2024-08-06', usage: { inputTokens: 7, outputTokens: 3 } }), {
        model: 'critical',
        created: 1700000000,
      }),
    ).toEqual({
      id: 'chatcmpl-d-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  });

  it('sends tool calls with null content, as OpenAI does', () => {
    const toolCalls = [{ id: 'call_1', name: 'f', arguments: '{}' }];
    const body = toChatCompletion(result({ content: '', toolCalls, finishReason: 'tool_calls' }), {
      model: 'x',
      created: 0,
    });
    expect(body.choices[0]!.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    });
    expect(body.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('names the caller’s model for a stand-in answer and folds refusal into content_filter', () => {
    const standIn = result({ model: null, routeId: null, provider: null, source: 'default_response' });
    expect(toChatCompletion(standIn, { model: 'non_critical', created: 0 }).model).toBe('non_critical');
    const refused = toChatCompletion(result({ finishReason: 'refusal' }), { model: 'x', created: 0 });
    expect(refused.choices[0]!.finish_reason).toBe('content_filter');
  });
});

describe('resultHeaders', () => {
  it('describes tier, route, provider, fallbacks, degradation, decision and uncertainty', () => {
    const r = result({ tier: 1, routeId: 'gpt-4.1-mini', attempts: 3, degraded: true, degradedReasons: ['fallback'] });
    expect(resultHeaders(r)).toEqual({
      'x-backstop-tier': '1',
      'x-backstop-route': 'gpt-4.1-mini',
      'x-backstop-provider': 'openai',
      'x-backstop-fallbacks': '2',
      'x-backstop-degraded': 'true',
      'x-backstop-degraded-reasons': 'fallback',
      'x-backstop-decision-id': 'd-1',
      'x-backstop-uncertain': 'false',
    });
  });

  it('leaves out route headers for an answer no route gave', () => {
    const headers = resultHeaders(result({ tier: null, routeId: null, provider: null, attempts: 0 }));
    expect(Object.keys(headers)).not.toContain('x-backstop-route');
    expect(headers['x-backstop-fallbacks']).toBe('0');
  });
});

describe('toDeferredBody', () => {
  it('names the job of a queued result', () => {
    expect(toDeferredBody(result({ status: 'queued', jobId: 'job-9', content: '' }))).toMatchObject({
      object: 'backstop.deferred_completion',
      status: 'queued',
      job_id: 'job-9',
      decision_id: 'd-1',
    });
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FaultProfile } from '../../../shared/contracts/fault-profile.js';
import { systemClock } from '../../system-clock.js';
import { LOW_QUALITY_TEXT } from './answer.js';
import type { Simulator } from './server.js';
import { startSimulator } from './server.js';
import { anthropicBody, openaiBody, parseSse, send, sendPartial } from './test-helpers.js';

let sim: Simulator;
let modelCount = 0;
beforeAll(async () => {
  sim = await startSimulator({ seed: 1 });
});
afterAll(() => sim.close());

// Every test gets a model of its own so profiles and stats never leak between tests.
function modelWith(profile: FaultProfile): string {
  const model = `faulty-${++modelCount}`;
  sim.setProfile(model, profile);
  return model;
}

const OPENAI = '/v1/chat/completions';
const ANTHROPIC = '/v1/messages';

describe('error statuses', () => {
  const openaiErrors = {
    429: { type: 'requests', code: 'rate_limit_exceeded' },
    500: { type: 'server_error', code: null },
    503: { type: 'server_error', code: null },
    529: { type: 'server_error', code: null },
  } as const;
  const anthropicErrors = { 429: 'rate_limit_error', 500: 'api_error', 503: 'api_error', 529: 'overloaded_error' };

  it.each([429, 500, 503, 529] as const)('answers %i in the OpenAI error envelope', async (status) => {
    const model = modelWith({ errorRates: { [status]: 1 }, retryAfterSeconds: 7 });
    const res = await send(sim.url, OPENAI, { body: openaiBody('hi', {}, model) });
    expect(res.status).toBe(status);
    expect(res.headers['retry-after']).toBe(status === 429 ? '7' : undefined);
    expect(JSON.parse(res.text)).toEqual({
      error: { message: expect.any(String), param: null, ...openaiErrors[status] },
    });
    expect(sim.stats().models[model]).toEqual({ requests: 1, outcomes: { [`status_${status}`]: 1 } });
  });

  it.each([429, 500, 503, 529] as const)('answers %i in the Anthropic error shape', async (status) => {
    const model = modelWith({ errorRates: { [status]: 1 } });
    const res = await send(sim.url, ANTHROPIC, { body: anthropicBody('hi', {}, model) });
    expect(res.status).toBe(status);
    expect(res.headers['retry-after']).toBe(status === 429 ? '1' : undefined);
    expect(JSON.parse(res.text)).toEqual({
      type: 'error',
      error: { type: anthropicErrors[status], message: expect.any(String) },
    });
  });

  it('answers 503 to every request inside an outage window, and normally outside it', async () => {
    const nowMs = Date.UTC(2026, 0, 1, 12);
    const clock = { ...systemClock, now: () => nowMs };
    const timed = await startSimulator({
      clock,
      profiles: {
        down: { outages: [{ startMs: nowMs - 1_000, endMs: nowMs + 1_000 }] },
        recovered: { outages: [{ startMs: nowMs - 2_000, endMs: nowMs }] },
      },
    });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await send(timed.url, OPENAI, { body: openaiBody('hi', {}, 'down') })).status).toBe(503);
      }
      expect((await send(timed.url, ANTHROPIC, { body: anthropicBody('hi', {}, 'down') })).status).toBe(503);
      expect((await send(timed.url, OPENAI, { body: openaiBody('hi', {}, 'recovered') })).status).toBe(200);
      expect(timed.stats().models.down).toEqual({ requests: 4, outcomes: { outage: 4 } });
    } finally {
      await timed.close();
    }
  });
});

describe('broken connections', () => {
  it('hangs until the client gives up', async () => {
    const model = modelWith({ hangRate: 1 });
    const started = performance.now();
    await expect(
      send(sim.url, OPENAI, { body: openaiBody('hi', {}, model), signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(sim.stats().models[model]?.outcomes).toEqual({ hang: 1 });
  });

  it('closes cleanly while a request hangs', async () => {
    const own = await startSimulator({ profiles: { stuck: { hangRate: 1 } } });
    const pending = send(own.url, OPENAI, { body: openaiBody('hi', {}, 'stuck') });
    await vi.waitFor(() => expect(own.stats().total).toBe(1), { timeout: 2_000, interval: 5 });
    await own.close();
    await expect(pending).rejects.toThrow();
  });

  it('resets the connection', async () => {
    const model = modelWith({ resetRate: 1 });
    const error = await send(sim.url, OPENAI, { body: openaiBody('hi', {}, model) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|UND_ERR_SOCKET)$/) });
    expect(sim.stats().models[model]?.outcomes).toEqual({ reset: 1 });
  });

  it('cuts an OpenAI stream after N content chunks', async () => {
    const model = modelWith({ streamDropAfterChunks: 2 });
    const res = await sendPartial(sim.url, OPENAI, openaiBody('one two three four', { stream: true }, model));
    expect(res.status).toBe(200);
    expect(res.error).toBeDefined();
    const deltas = parseSse(res.text).map((e) => JSON.parse(e.data).choices[0].delta);
    expect(deltas).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'You ' },
      { content: 'said: ' },
    ]);
    expect(sim.stats().models[model]?.outcomes).toEqual({ stream_drop: 1 });
  });

  it('cuts an Anthropic stream after N content chunks', async () => {
    const model = modelWith({ streamDropAfterChunks: 1 });
    const res = await sendPartial(sim.url, ANTHROPIC, anthropicBody('one two', { stream: true }, model));
    expect(res.error).toBeDefined();
    expect(parseSse(res.text).map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
    ]);
  });

  it('cuts a stream before its finish when the answer is shorter than N chunks', async () => {
    const model = modelWith({ streamDropAfterChunks: 1_000 });
    const res = await sendPartial(sim.url, OPENAI, openaiBody('hi', { stream: true }, model));
    expect(res.error).toBeDefined();
    const chunks = parseSse(res.text).map((e) => JSON.parse(e.data));
    expect(chunks.map((c) => c.choices[0].delta.content).join('')).toBe('You said: "hi"');
    expect(chunks.every((c) => c.choices[0].finish_reason === null)).toBe(true);
  });

  it('sends an OpenAI error event mid-stream', async () => {
    const model = modelWith({ streamErrorAfterChunks: 1 });
    const res = await sendPartial(sim.url, OPENAI, openaiBody('one two', { stream: true }, model));
    expect(res.error).toBeUndefined();
    const events = parseSse(res.text);
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[1]!.data).choices[0].delta).toEqual({ content: 'You ' });
    expect(JSON.parse(events[2]!.data)).toEqual({
      error: { message: expect.any(String), type: 'server_error', param: null, code: null },
    });
    expect(sim.stats().models[model]?.outcomes).toEqual({ stream_error: 1 });
  });

  it('sends an Anthropic overloaded_error event mid-stream', async () => {
    const model = modelWith({ streamErrorAfterChunks: 0 });
    const res = await sendPartial(sim.url, ANTHROPIC, anthropicBody('one', { stream: true }, model));
    const events = parseSse(res.text);
    expect(events.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'ping', 'error']);
    expect(JSON.parse(events[3]!.data)).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
  });
});

describe('bad answers', () => {
  it.each([
    ['OpenAI', OPENAI, openaiBody],
    ['Anthropic', ANTHROPIC, anthropicBody],
  ] as const)('sends HTTP 200 with invalid JSON (%s)', async (_name, path, body) => {
    const model = modelWith({ malformedRate: 1 });
    const res = await send(sim.url, path, { body: body('hi', {}, model) });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(() => JSON.parse(res.text)).toThrow(SyntaxError);
    const streamed = await send(sim.url, path, { body: body('hi', { stream: true }, model) });
    expect(streamed.status).toBe(200);
    const events = parseSse(streamed.text);
    expect(events).toHaveLength(1);
    expect(() => JSON.parse(events[0]!.data)).toThrow(SyntaxError);
  });

  it('answers with empty content', async () => {
    const model = modelWith({ emptyRate: 1 });
    const openai = JSON.parse((await send(sim.url, OPENAI, { body: openaiBody('hi', {}, model) })).text);
    expect(openai.choices[0]).toMatchObject({ message: { content: '' }, finish_reason: 'stop' });
    expect(openai.usage.completion_tokens).toBe(0);
    const anthropic = JSON.parse((await send(sim.url, ANTHROPIC, { body: anthropicBody('hi', {}, model) })).text);
    expect(anthropic).toMatchObject({ content: [], stop_reason: 'end_turn', usage: { output_tokens: 0 } });
    const streamed = parseSse((await send(sim.url, OPENAI, { body: openaiBody('hi', { stream: true }, model) })).text);
    expect(streamed.map((e) => e.data).filter((d) => d.includes('"content":"'))).toHaveLength(1); // the role chunk only
  });

  it('answers with a low-quality refusal cut short', async () => {
    const model = modelWith({ lowQualityRate: 1 });
    const openai = JSON.parse((await send(sim.url, OPENAI, { body: openaiBody('hi', {}, model) })).text);
    expect(openai.choices[0]).toMatchObject({ message: { content: LOW_QUALITY_TEXT }, finish_reason: 'length' });
    const anthropic = JSON.parse((await send(sim.url, ANTHROPIC, { body: anthropicBody('hi', {}, model) })).text);
    expect(anthropic).toMatchObject({ content: [{ type: 'text', text: LOW_QUALITY_TEXT }], stop_reason: 'max_tokens' });
  });

  it('answers with a content filter (OpenAI) and a refusal (Anthropic)', async () => {
    const model = modelWith({ contentFilterRate: 1 });
    const openai = JSON.parse((await send(sim.url, OPENAI, { body: openaiBody('hi', {}, model) })).text);
    expect(openai.choices[0]).toMatchObject({ message: { content: null }, finish_reason: 'content_filter' });
    const anthropic = JSON.parse((await send(sim.url, ANTHROPIC, { body: anthropicBody('hi', {}, model) })).text);
    expect(anthropic).toMatchObject({ content: [], stop_reason: 'refusal' });
    const streamed = parseSse(
      (await send(sim.url, ANTHROPIC, { body: anthropicBody('hi', { stream: true }, model) })).text,
    );
    expect(streamed.map((e) => e.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
    expect(JSON.parse(streamed[2]!.data).delta.stop_reason).toBe('refusal');
  });
});

describe('latency', () => {
  it('waits a fixed latency before answering', async () => {
    const model = modelWith({ latency: { kind: 'fixed', ms: 30 } });
    const started = performance.now();
    expect((await send(sim.url, OPENAI, { body: openaiBody('hi', {}, model) })).status).toBe(200);
    // Timers may fire up to a millisecond early when measured with performance.now().
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });

  it('waits chunkDelayMs between streamed chunks', async () => {
    const model = modelWith({ chunkDelayMs: 10 });
    const started = performance.now();
    await send(sim.url, OPENAI, { body: openaiBody('a b c', { stream: true }, model) }); // 5 content chunks
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
  });

  it('ignores every latency with zeroDelay', async () => {
    const fast = await startSimulator({
      zeroDelay: true,
      profiles: { '*': { latency: { kind: 'fixed', ms: 60_000 }, chunkDelayMs: 60_000 } },
    });
    try {
      const res = await send(fast.url, OPENAI, {
        body: openaiBody('hi', { stream: true }),
        signal: AbortSignal.timeout(2_000),
      });
      expect(parseSse(res.text).at(-1)).toEqual({ data: '[DONE]' });
    } finally {
      await fast.close();
    }
  });
});

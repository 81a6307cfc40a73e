import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, type ProviderError } from '../../shared/engine/errors.js';
import type { ProviderAdapter } from '../../shared/engine/ports.js';
import { createHttpAgent } from '../../server/providers/http.js';
import { CONVERSATION, TEST_KEY, WEATHER_TOOL, callWith, collectStream, thrown } from '../fixtures/providers/calls.js';
import {
  EXPECTED_TURNS,
  anthropicDriver,
  geminiDriver,
  openaiDriver,
  type Driver,
} from '../fixtures/providers/drivers.js';
import {
  firstEvents,
  fixture,
  hang,
  json,
  reset,
  sse,
  startLoopback,
  type Loopback,
} from '../fixtures/providers/loopback-server.js';

// One suite, every wire format: each driver says where its fixtures are and how its request body reads.
const signal = () => new AbortController().signal;
const failureOf = (error: unknown): ProviderError['failure'] => {
  expect(isProviderError(error)).toBe(true);
  return (error as ProviderError).failure;
};

describe.each([openaiDriver, anthropicDriver, geminiDriver])('$provider adapter contract', (driver) => {
  let server: Loopback;
  let agent: ReturnType<typeof createHttpAgent>;
  let adapter: ProviderAdapter;
  const text = (name: keyof Driver['fixtures']) => fixture(driver.provider, driver.fixtures[name]);

  beforeAll(async () => {
    server = await startLoopback();
    agent = createHttpAgent();
    adapter = driver.create(server.baseUrl, agent);
  });
  afterEach(() => {
    server.requests.length = 0;
  });
  afterAll(async () => {
    await agent.close();
    await server.close();
  });

  it('posts JSON to the documented path with the key in its auth header', async () => {
    server.reply(json(200, JSON.parse(text('text'))));
    await adapter.complete(callWith(driver.model), signal());
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe(driver.path.complete);
    expect(req?.headers[driver.auth[0]]).toBe(driver.auth[1]);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.url).not.toContain(TEST_KEY);
  });

  it('parses a text answer with its usage', async () => {
    server.reply(json(200, JSON.parse(text('text'))));
    const result = await adapter.complete(callWith(driver.model), signal());
    expect(result).toMatchObject({
      content: 'Hello! How can I help you today?',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 19, outputTokens: 10 },
    });
  });

  it('parses a tool call with its JSON arguments', async () => {
    server.reply(json(200, JSON.parse(text('toolCall'))));
    const result = await adapter.complete(callWith(driver.model, undefined, { tools: [WEATHER_TOOL] }), signal());
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]?.name).toBe('get_weather');
    expect(result.toolCalls[0]?.id).toMatch(/.+/);
    expect(JSON.parse(result.toolCalls[0]!.arguments)).toEqual({ location: 'Paris, France' });
    expect(result.usage).toEqual({ inputTokens: 82, outputTokens: 17 });
  });

  it('streams text in pieces and finishes with the usage', async () => {
    server.reply(sse(text('textStream'), { chunkSize: 7 }));
    const out = await collectStream(adapter.stream!(callWith(driver.model), signal()));
    expect(server.requests[0]?.url).toBe(driver.path.stream);
    expect(out.text).toBe('Hello! How can I help you today?');
    expect(out.events.filter((e) => e.type === 'text').length).toBeGreaterThan(1);
    expect(out.finish).toMatchObject({ finishReason: 'stop', usage: { inputTokens: 19, outputTokens: 10 } });
    expect(out.events.at(-1)?.type).toBe('finish');
  });

  it('assembles streamed tool-call deltas into the same call as the non-streamed answer', async () => {
    server.reply(sse(text('toolStream'), { chunkSize: 11 }));
    const out = await collectStream(adapter.stream!(callWith(driver.model), signal()));
    expect(out.toolCalls).toHaveLength(1);
    expect(out.toolCalls[0]?.name).toBe('get_weather');
    expect(JSON.parse(out.toolCalls[0]!.arguments)).toEqual({ location: 'Paris, France' });
    expect(out.finish).toMatchObject({ finishReason: 'tool_calls', usage: { inputTokens: 82, outputTokens: 17 } });
  });

  describe.each([
    'bad request',
    'bad key',
    'unknown model',
    'context too long',
    'rate limit',
    'server error',
    'busy upstream',
  ])('a %s', (name) => {
    const c = driver.errors[name]!;
    it(`maps HTTP ${c.status} to ${c.kind}`, async () => {
      server.reply(json(c.status, c.body, c.headers));
      const failure = failureOf(await thrown(() => adapter.complete(callWith(driver.model), signal())));
      expect(failure.kind).toBe(c.kind);
      expect(failure.status).toBe(c.status);
      if (c.retryAfterMs !== undefined) expect(failure.retryAfterMs).toBe(c.retryAfterMs);
    });
    it(`maps HTTP ${c.status} on a stream request before any event`, async () => {
      server.reply(json(c.status, c.body, c.headers));
      const failure = failureOf(await thrown(() => collectStream(adapter.stream!(callWith(driver.model), signal()))));
      expect(failure.kind).toBe(c.kind);
    });
  });

  it('keeps the API key out of error messages even when the upstream echoes it', async () => {
    server.reply(json(401, driver.authEcho(TEST_KEY)));
    const error = (await thrown(() => adapter.complete(callWith(driver.model), signal()))) as ProviderError;
    expect(failureOf(error).kind).toBe('auth');
    expect(error.message).not.toContain(TEST_KEY);
    expect(error.failure.message).toContain('[redacted]');
    expect(JSON.stringify({ ...error.failure, cause: undefined })).not.toContain(TEST_KEY);
  });

  it('reports a connection reset as a network failure', async () => {
    server.reply(reset);
    const failure = failureOf(await thrown(() => adapter.complete(callWith(driver.model), signal())));
    expect(failure.kind).toBe('network');
  });

  it('reports a stream that ends before the answer finished as stream_interrupted', async () => {
    server.reply(sse(firstEvents(text('textStream'), driver.partialEvents)));
    const failure = failureOf(await thrown(() => collectStream(adapter.stream!(callWith(driver.model), signal()))));
    expect(failure.kind).toBe('stream_interrupted');
  });

  it('reports a connection reset mid-stream as stream_interrupted', async () => {
    server.reply(sse(firstEvents(text('textStream'), driver.partialEvents), { then: 'reset' }));
    const failure = failureOf(await thrown(() => collectStream(adapter.stream!(callWith(driver.model), signal()))));
    expect(failure.kind).toBe('stream_interrupted');
  });

  it('cancels a running stream on abort: the iterator throws aborted and the server sees the socket close', async () => {
    server.reply(sse(firstEvents(text('textStream'), driver.partialEvents), { then: 'hang' }));
    const controller = new AbortController();
    const iterator = adapter.stream!(callWith(driver.model), controller.signal)[Symbol.asyncIterator]();
    let first = await iterator.next();
    while (!first.done && first.value.type !== 'text') first = await iterator.next();
    expect(first.value).toMatchObject({ type: 'text' });
    controller.abort();
    const failure = failureOf(await thrown(() => iterator.next()));
    expect(failure.kind).toBe('aborted');
    await server.requests[0]!.socketClosed;
  });

  it('cancels a request still waiting for headers on abort', async () => {
    server.reply(hang);
    const controller = new AbortController();
    const pending = thrown(() => adapter.complete(callWith(driver.model), controller.signal));
    await waitForRequest(server);
    controller.abort();
    expect(failureOf(await pending).kind).toBe('aborted');
    await server.requests[0]!.socketClosed;
  });

  it('reads a timeout signal as a timeout', async () => {
    server.reply(hang);
    const controller = new AbortController();
    const pending = thrown(() => adapter.complete(callWith(driver.model), controller.signal));
    await waitForRequest(server);
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    expect(failureOf(await pending).kind).toBe('timeout');
  });

  it('releases the connection on every path: one pooled socket serves answers, errors and streams in turn', async () => {
    // With one socket per origin, a body left unread would leave the next call waiting forever.
    const single = createHttpAgent({ connections: 1 });
    const adapter = driver.create(server.baseUrl, single);
    server.reply(json(200, JSON.parse(text('text'))));
    await adapter.complete(callWith(driver.model), signal());
    const before = server.connections();
    server.reply(json(500, driver.errors['server error']!.body));
    await thrown(() => adapter.complete(callWith(driver.model), signal()));
    server.reply(sse(text('textStream')));
    await collectStream(adapter.stream!(callWith(driver.model), signal()));
    server.reply(json(200, JSON.parse(text('text'))));
    await adapter.complete(callWith(driver.model), signal());
    expect(server.connections()).toBe(before);
    await single.close();
  });

  it('keeps every turn of a conversation with tool calls', async () => {
    server.reply(json(200, JSON.parse(text('text'))));
    await adapter.complete(callWith(driver.model, CONVERSATION, { tools: [WEATHER_TOOL] }), signal());
    expect(driver.turns(server.requests[0]!.body as Record<string, unknown>)).toEqual(EXPECTED_TURNS);
  });

  it('round-trips a tool call from an answer back into the next request', async () => {
    server.reply(json(200, JSON.parse(text('toolCall'))));
    const answer = await adapter.complete(callWith(driver.model, CONVERSATION.slice(0, 2)), signal());
    const next = [
      ...CONVERSATION.slice(0, 2),
      { role: 'assistant' as const, content: null, toolCalls: answer.toolCalls },
      { role: 'tool' as const, toolCallId: answer.toolCalls[0]!.id, content: '{"temperature":18,"unit":"C"}' },
    ];
    server.reply(json(200, JSON.parse(text('text'))));
    await adapter.complete(callWith(driver.model, next), signal());
    expect(driver.turns(server.requests[1]!.body as Record<string, unknown>)).toEqual(EXPECTED_TURNS.slice(0, 4));
  });
});

/** Waits until the loopback server has received a request, without sleeping on a timer. */
async function waitForRequest(server: Loopback): Promise<void> {
  while (server.requests.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
}

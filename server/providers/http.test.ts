import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, type ProviderError } from '../../shared/engine/errors.js';
import { thrown } from '../../test/fixtures/providers/calls.js';
import { json, startLoopback, type Loopback } from '../../test/fixtures/providers/loopback-server.js';
import { ERROR_BODY_LIMIT, RESPONSE_BODY_LIMIT, createHttpAgent, postForJson, postJson } from './http.js';

const failureOf = (error: unknown) => {
  expect(isProviderError(error)).toBe(true);
  return (error as ProviderError).failure;
};

let server: Loopback;
let agent: ReturnType<typeof createHttpAgent>;
beforeAll(async () => {
  server = await startLoopback();
  agent = createHttpAgent({ connections: 1 });
});
afterEach(() => {
  server.requests.length = 0;
});
afterAll(async () => {
  await agent.close();
  await server.close();
});

const request = (signal: AbortSignal, url = `${server.baseUrl}/x`) => ({
  url,
  headers: {},
  body: { a: 1 },
  signal,
  dispatcher: agent,
  secrets: ['s3cret'],
});

// Both calls answer a 2xx with the parsed JSON here; their errors must be the same.
const calls = {
  postJson: async (signal: AbortSignal, url?: string) =>
    JSON.parse(await (await postJson(request(signal, url))).body.text()) as unknown,
  postForJson: (signal: AbortSignal, url?: string) => postForJson(request(signal, url)),
};

describe.each(Object.entries(calls))('%s', (_name, call) => {
  const post = (signal = new AbortController().signal) => call(signal);

  it('sends the body as JSON and reads the 2xx answer', async () => {
    server.reply(json(200, { ok: true }));
    expect(await post()).toEqual({ ok: true });
    expect(server.requests[0]?.body).toEqual({ a: 1 });
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('reads no more than the error body limit and frees the connection for the next call', async () => {
    const huge = 'x'.repeat(ERROR_BODY_LIMIT * 16);
    server.reply(json(502, huge));
    const failure = failureOf(await thrown(() => post()));
    expect(failure).toMatchObject({ kind: 'server_error', status: 502 });
    expect(failure.message.length).toBeLessThanOrEqual(500);
    server.reply(json(200, { ok: true }));
    expect(await post()).toEqual({ ok: true });
  });

  it('classifies a plain-text error body by its status', async () => {
    server.reply(json(503, 'upstream connect error or disconnect/reset before headers'));
    expect(failureOf(await thrown(() => post()))).toMatchObject({
      kind: 'overloaded',
      message: 'upstream connect error or disconnect/reset before headers',
    });
  });

  it('reads Retry-After from the error response', async () => {
    server.reply(json(429, { error: { message: 'slow down' } }, { 'retry-after': '7' }));
    expect(failureOf(await thrown(() => post()))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7_000 });
  });

  it('redacts secrets from error messages', async () => {
    server.reply(json(401, { error: { message: 'bad key s3cret', code: 'invalid_api_key' } }));
    expect(failureOf(await thrown(() => post())).message).toBe('bad key [redacted]');
  });

  it('fails at once, without a request, when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(failureOf(await thrown(() => post(controller.signal))).kind).toBe('aborted');
    expect(server.requests).toHaveLength(0);
  });

  it('reports a refused connection as a network failure', async () => {
    const closed = await startLoopback();
    const url = closed.baseUrl;
    await closed.close();
    const failure = failureOf(await thrown(() => call(new AbortController().signal, url)));
    expect(failure.kind).toBe('network');
  });
});

describe('postForJson', () => {
  it('stops a call in flight when its signal aborts, and reports the abort', async () => {
    // Never answers: only the abort can end the call.
    server.reply(() => new Promise<void>(() => undefined));
    const controller = new AbortController();
    const pending = postForJson(request(controller.signal));
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort(new DOMException('attempt timed out after 5 ms', 'TimeoutError'));
    expect(failureOf(await thrown(() => pending)).kind).toBe('timeout');
    await server.requests[0]!.socketClosed;
  });

  it('fails a 2xx answer that is not JSON', async () => {
    server.reply(json(200, 'not json {'));
    expect(failureOf(await thrown(() => postForJson(request(new AbortController().signal))))).toMatchObject({
      kind: 'unknown',
      message: 'malformed JSON response',
    });
  });

  it('refuses an answer over the size limit without reading the rest', async () => {
    server.reply((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      // Twice the limit, written as the socket drains; the client stops reading past the limit.
      let left = (2 * RESPONSE_BODY_LIMIT) / chunk.length;
      const more = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      res.on('error', () => undefined);
      more();
    });
    expect(failureOf(await thrown(() => postForJson(request(new AbortController().signal))))).toMatchObject({
      kind: 'unknown',
      message: 'response body too large',
    });
  });
});

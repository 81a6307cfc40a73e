import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, type ProviderError } from '../../shared/engine/errors.js';
import { thrown } from '../../test/fixtures/providers/calls.js';
import { json, startLoopback, type Loopback } from '../../test/fixtures/providers/loopback-server.js';
import { ERROR_BODY_LIMIT, createHttpAgent, postJson, readJson } from './http.js';

const failureOf = (error: unknown) => {
  expect(isProviderError(error)).toBe(true);
  return (error as ProviderError).failure;
};

describe('postJson', () => {
  let server: Loopback;
  let agent: ReturnType<typeof createHttpAgent>;
  const post = (signal = new AbortController().signal) =>
    postJson({
      url: `${server.baseUrl}/x`,
      headers: {},
      body: { a: 1 },
      signal,
      dispatcher: agent,
      secrets: ['s3cret'],
    });

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

  it('sends the body as JSON and hands back a 2xx response to read', async () => {
    server.reply(json(200, { ok: true }));
    const response = await post();
    expect(await readJson(response, new AbortController().signal)).toEqual({ ok: true });
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
    expect(await readJson(await post(), new AbortController().signal)).toEqual({ ok: true });
  });

  it('classifies a plain-text error body by its status', async () => {
    server.reply(json(503, 'upstream connect error or disconnect/reset before headers'));
    expect(failureOf(await thrown(() => post()))).toMatchObject({
      kind: 'overloaded',
      message: 'upstream connect error or disconnect/reset before headers',
    });
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
    const failure = failureOf(
      await thrown(() =>
        postJson({ url, headers: {}, body: {}, signal: new AbortController().signal, dispatcher: agent }),
      ),
    );
    expect(failure.kind).toBe('network');
  });
});

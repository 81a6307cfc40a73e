import type { Context, Hono } from 'hono';
import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import type { EngineStreamEvent } from '../../shared/engine/stream-session.js';
import type { AppEnv } from '../app.js';
import type { CompletionCall } from '../services/completion-service.js';
import type { BackstopServices } from '../services/services.js';
import type { Principal } from '../services/tenant-store.js';
import {
  errorHeaders,
  errorReply,
  invalidApiKey,
  invalidRequest,
  toOpenAIError,
  type OpenAIErrorReply,
} from './openai-errors.js';
import { hintsFromHeaders, parseChatRequest, type ParsedChatRequest } from './openai-format.js';
import { createChunkEncoder, resultHeaders, toChatCompletion, toDeferredBody } from './openai-response.js';

type Ctx = Context<AppEnv>;

/**
 * Mounts the OpenAI-compatible API: `POST /v1/chat/completions` (plain and SSE) and `GET /v1/models`, with OpenAI's
 * error envelope, so an OpenAI client only changes its base URL. `model` names a traffic class or a route id.
 * @example createApp(services, { mount: (app) => mountOpenAICompatible(app, services) })
 */
export function mountOpenAICompatible(app: Hono<AppEnv>, services: BackstopServices): void {
  const { config, clock, completions, logger } = services;
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  const listedAt = nowSeconds();
  const models = [
    ...TRAFFIC_CLASSES.map((id) => ({ id, object: 'model' as const, created: listedAt, owned_by: 'backstop' })),
    ...[...config.routes.values()].map((r) => ({
      id: r.id,
      object: 'model' as const,
      created: listedAt,
      owned_by: r.provider,
    })),
  ];

  const fail = (c: Ctx, reply: OpenAIErrorReply) => c.json(reply.body, reply.status, errorHeaders(reply));
  const failWith = (c: Ctx, e: unknown) => {
    const reply = toOpenAIError(e);
    if (reply.unexpected)
      logger.error({ err: e, requestId: c.get('requestId') }, 'unexpected error in the OpenAI endpoint');
    return fail(c, reply);
  };

  app.get('/v1/models', (c) =>
    c.get('principal') ? c.json({ object: 'list', data: models }) : fail(c, invalidApiKey()),
  );
  app.get('/v1/models/:id', (c) => {
    if (!c.get('principal')) return fail(c, invalidApiKey());
    const model = models.find((m) => m.id === c.req.param('id'));
    if (model) return c.json(model);
    const message = `The model \`${c.req.param('id')}\` does not exist.`;
    return fail(c, errorReply(404, 'invalid_request_error', 'model_not_found', message, 'model'));
  });

  app.post('/v1/chat/completions', async (c) => {
    try {
      const principal = c.get('principal');
      if (!principal) return fail(c, invalidApiKey());
      // Checked before the body so that a viewer learns about its key, not about its JSON.
      if (principal.role === 'viewer') {
        return fail(
          c,
          errorReply(403, 'permission_error', 'permission_denied', 'A viewer key cannot request completions.'),
        );
      }
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return fail(c, invalidRequest('We could not parse the JSON body of your request.', null));
      }
      const parsed = parseChatRequest(body, hintsFromHeaders(c.req.raw.headers), config.routes);
      if (!parsed.ok) return fail(c, parsed.error);
      const call: CompletionCall = {
        tenantId: parsed.value.tenantId ?? null,
        request: parsed.value.request,
        requestId: c.get('requestId'),
        signal: c.req.raw.signal,
      };
      c.header('x-backstop-class', parsed.value.request.trafficClass);
      if (parsed.value.stream) return await streamChat(c, principal, call, parsed.value);

      const result = await completions.complete(principal, call);
      if (result.status !== 'answered') return c.json(toDeferredBody(result), 202, resultHeaders(result));
      const completion = toChatCompletion(result, { model: parsed.value.model, created: nowSeconds() });
      return c.json(completion, 200, resultHeaders(result));
    } catch (e) {
      return failWith(c, e);
    }
  });

  // Last: any other path under /v1, or another method on the paths above, gets OpenAI's answer in its envelope
  // rather than a plain-text 404 that an OpenAI client cannot parse.
  app.all('/v1/*', (c) =>
    fail(c, errorReply(404, 'invalid_request_error', 'not_found', `Invalid URL (${c.req.method} ${c.req.path})`)),
  );

  async function streamChat(c: Ctx, principal: Principal, call: CompletionCall, parsed: ParsedChatRequest) {
    const events = completions.stream(principal, call)[Symbol.asyncIterator]();
    // Pull up to the first event that commits to a 200 stream, so that an error before any text (or a deferred
    // result) still gets its real status code instead of a broken stream.
    const leading: EngineStreamEvent[] = [];
    let first: IteratorResult<EngineStreamEvent>;
    for (;;) {
      first = await events.next();
      if (first.done || first.value.type !== 'fallback') break;
      leading.push(first.value);
    }
    if (first.done) throw new Error('the engine stream ended without a result');
    if (first.value.type === 'done' && first.value.result.status !== 'answered') {
      const result = first.value.result;
      return c.json(toDeferredBody(result), 202, resultHeaders(result));
    }

    // The engine names the decision after the request id, so the id is known before the answer is.
    const decisionId = call.requestId!;
    const pinned = parsed.request.route ? config.routes.get(parsed.request.route)?.model : undefined;
    const encoder = createChunkEncoder({
      id: `chatcmpl-${decisionId}`,
      created: nowSeconds(),
      model: pinned ?? parsed.model,
      includeUsage: parsed.includeUsage,
      modelOfRoute: (id) => config.routes.get(id)?.model,
    });
    const firstEvent = first.value;
    async function* frames(): AsyncGenerator<string> {
      yield encoder.start();
      for (const ev of [...leading, firstEvent]) yield* encoder.event(ev);
      try {
        for (let r = await events.next(); !r.done; r = await events.next()) yield* encoder.event(r.value);
      } catch (e) {
        const reply = toOpenAIError(e);
        if (reply.unexpected) logger.error({ err: e, requestId: decisionId }, 'unexpected error in an OpenAI stream');
        yield encoder.error(reply.body);
      }
    }
    const source = frames();
    const bytes = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await source.next();
        if (done) controller.close();
        else controller.enqueue(bytes.encode(value));
      },
      // The client went away: the request's abort signal cancels the upstream call; here we only stop reading,
      // without waiting (a pending read ends when the engine sees the abort).
      cancel() {
        void source.return(undefined).catch(() => undefined);
        void events.return?.(undefined)?.catch(() => undefined);
      },
    });
    return c.body(stream, 200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Proxies such as nginx buffer responses unless told not to, which would hold every token back.
      'x-accel-buffering': 'no',
      // Said outright, so @hono/node-server writes the head and each chunk as it comes; without it, it reads ahead to
      // learn the length and, when the second chunk is not ready, waits a timer tick (>= 1 ms) before the first byte.
      'transfer-encoding': 'chunked',
      // Only what is known before the first byte; the rest comes in the `: backstop-result` comment.
      'x-backstop-decision-id': decisionId,
    });
  }
}

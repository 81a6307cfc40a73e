import { z } from 'zod';
import type { SimAnswer, SimFinish, SimRequest, SimTurn } from './answer.js';
import { chunkArguments, chunkText } from './answer.js';
import type { ResponseContext, StreamFrame, WireFormat, WireReply } from './wire.js';
import { firstIssue, randomId, sse } from './wire.js';

const ContentSchema = z
  .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() })), z.null()])
  .optional();

const RequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
        content: ContentSchema,
        tool_calls: z
          .array(z.looseObject({ function: z.looseObject({ name: z.string(), arguments: z.string() }) }))
          .optional(),
      }),
    )
    .min(1),
  tools: z
    .array(
      z.looseObject({
        function: z.looseObject({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([z.enum(['auto', 'none', 'required']), z.looseObject({ function: z.looseObject({ name: z.string() }) })])
    .optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
});

const FINISH: Record<SimFinish, string> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
};

const ERRORS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', code: null },
  404: { message: 'Not found.', type: 'invalid_request_error', code: null },
  429: {
    message: 'Rate limit reached for requests. Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  503: { message: 'The server is overloaded or not ready yet.', type: 'server_error', code: null },
  529: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
};

function text(content: z.infer<typeof ContentSchema>): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

function parse(body: unknown): { request: SimRequest } | { error: WireReply } {
  const parsed = RequestSchema.safeParse(body);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error.issues);
    return { error: error(400, `Invalid value for '${path || 'body'}': ${message}`, path || undefined) };
  }
  const r = parsed.data;
  const turns = r.messages.map((m): SimTurn => ({
    role: m.role === 'developer' ? 'system' : m.role,
    text: text(m.content) + (m.tool_calls ?? []).map((c) => c.function.name + c.function.arguments).join(''),
  }));
  const choice = r.tool_choice;
  const maxTokens = r.max_completion_tokens ?? r.max_tokens ?? undefined;
  return {
    request: {
      model: r.model,
      turns,
      tools: (r.tools ?? []).map((t) => ({ name: t.function.name, parameters: t.function.parameters ?? {} })),
      toolChoice: typeof choice === 'object' ? { name: choice.function.name } : (choice ?? 'auto'),
      ...(maxTokens !== undefined && { maxTokens }),
      stream: r.stream === true,
      includeUsage: r.stream_options?.include_usage === true,
    },
  };
}

function error(status: number, message?: string, param?: string): WireReply {
  const known = ERRORS[status] ?? ERRORS[status >= 500 ? 500 : 400]!;
  return {
    status,
    body: { error: { message: message ?? known.message, type: known.type, param: param ?? null, code: known.code } },
  };
}

function usage(answer: SimAnswer) {
  return {
    prompt_tokens: answer.inputTokens,
    completion_tokens: answer.outputTokens,
    total_tokens: answer.inputTokens + answer.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function json(answer: SimAnswer, ctx: ResponseContext): unknown {
  const toolCalls = answer.toolCall && [
    {
      id: ctx.toolCallId,
      type: 'function',
      function: { name: answer.toolCall.name, arguments: answer.toolCall.arguments },
    },
  ];
  // OpenAI sends null content for tool calls and filtered answers, "" for a genuinely empty one.
  const content = toolCalls || answer.finish === 'content_filter' ? null : answer.text;
  return {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          ...(toolCalls && { tool_calls: toolCalls }),
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: FINISH[answer.finish],
      },
    ],
    usage: usage(answer),
    service_tier: 'default',
    system_fingerprint: ctx.systemFingerprint,
  };
}

function frames(answer: SimAnswer, ctx: ResponseContext, request: SimRequest): StreamFrame[] {
  const chunk = (choices: unknown[], part: StreamFrame['part'], usageValue: unknown = null): StreamFrame => ({
    part,
    text: sse({
      id: ctx.id,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: ctx.model,
      service_tier: 'default',
      system_fingerprint: ctx.systemFingerprint,
      choices,
      // With include_usage every chunk carries `usage: null` and a last choice-less chunk carries the totals.
      ...(request.includeUsage && { usage: usageValue }),
    }),
  });
  const choice = (delta: unknown, finishReason: string | null = null) => [
    { index: 0, delta, logprobs: null, finish_reason: finishReason },
  ];
  const call = answer.toolCall;
  const head = call
    ? chunk(
        choice({
          role: 'assistant',
          content: null,
          tool_calls: [
            { index: 0, id: ctx.toolCallId, type: 'function', function: { name: call.name, arguments: '' } },
          ],
          refusal: null,
        }),
        'head',
      )
    : chunk(choice({ role: 'assistant', content: '', refusal: null }), 'head');
  const content = call
    ? chunkArguments(call.arguments).map((a) =>
        chunk(choice({ tool_calls: [{ index: 0, function: { arguments: a } }] }), 'content'),
      )
    : chunkText(answer.text).map((t) => chunk(choice({ content: t }), 'content'));
  const tail = [chunk(choice({}, FINISH[answer.finish]), 'tail')];
  if (request.includeUsage) tail.push(chunk([], 'tail', usage(answer)));
  tail.push({ part: 'tail', text: sse('[DONE]') });
  return [head, ...content, ...tail];
}

/** The OpenAI chat completions dialect (`POST /v1/chat/completions`). */
export const openaiFormat: WireFormat = {
  name: 'openai',
  requestIdHeader: 'x-request-id',
  parse,
  error,
  json,
  frames,
  streamError: () => sse(error(500).body),
  models: (ids, created) => ({
    object: 'list',
    data: ids.map((id) => ({ id, object: 'model', created, owned_by: 'backstop-simulator' })),
  }),
  ids: (random) => ({
    id: `chatcmpl-${randomId(random, 29)}`,
    toolCallId: `call_${randomId(random, 24)}`,
    requestId: `req_${randomId(random, 32)}`,
  }),
};

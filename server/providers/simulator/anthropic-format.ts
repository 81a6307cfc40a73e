import { z } from 'zod';
import type { SimAnswer, SimFinish, SimRequest, SimTurn } from './answer.js';
import { chunkArguments, chunkText } from './answer.js';
import type { ResponseContext, StreamFrame, WireFormat, WireReply } from './wire.js';
import { firstIssue, randomId, sse } from './wire.js';

const BlockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  input: z.unknown().optional(),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional(),
});

const RequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(BlockSchema)]) }))
    .min(1),
  system: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string() }))]).optional(),
  tools: z
    .array(z.looseObject({ name: z.string(), input_schema: z.record(z.string(), z.unknown()).optional() }))
    .optional(),
  tool_choice: z.looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() }).optional(),
  stream: z.boolean().optional(),
});

const STOP: Record<SimFinish, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

const ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  404: { type: 'not_found_error', message: 'Not found.' },
  429: {
    type: 'rate_limit_error',
    message: 'This request would exceed the rate limit for your organization. Please try again later.',
  },
  500: { type: 'api_error', message: 'Internal server error' },
  503: { type: 'api_error', message: 'Service unavailable' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

function blockText(block: z.infer<typeof BlockSchema>): string {
  if (block.type === 'text') return block.text ?? '';
  if (block.type === 'tool_use') return JSON.stringify(block.input ?? {});
  if (block.type === 'tool_result') {
    return typeof block.content === 'string' ? block.content : (block.content ?? []).map((b) => b.text ?? '').join('');
  }
  return '';
}

function parse(body: unknown): { request: SimRequest } | { error: WireReply } {
  const parsed = RequestSchema.safeParse(body);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error.issues);
    return { error: error(400, `${path || 'body'}: ${message}`) };
  }
  const r = parsed.data;
  const system = typeof r.system === 'string' ? r.system : (r.system ?? []).map((b) => b.text).join('');
  const turns: SimTurn[] = system ? [{ role: 'system', text: system }] : [];
  for (const m of r.messages) {
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    // A user turn made only of tool results answers a tool call; the simulator then summarises the result.
    const toolTurn = blocks.length > 0 && blocks.every((b) => b.type === 'tool_result');
    turns.push({ role: toolTurn ? 'tool' : m.role, text: blocks.map(blockText).join('') });
  }
  const choice = r.tool_choice;
  return {
    request: {
      model: r.model,
      turns,
      tools: (r.tools ?? []).map((t) => ({ name: t.name, parameters: t.input_schema ?? {} })),
      toolChoice:
        choice?.type === 'tool' && choice.name
          ? { name: choice.name }
          : choice?.type === 'any'
            ? 'required'
            : choice?.type === 'none'
              ? 'none'
              : 'auto',
      maxTokens: r.max_tokens,
      stream: r.stream === true,
      includeUsage: false,
    },
  };
}

function error(status: number, message?: string): WireReply {
  const known = ERRORS[status] ?? ERRORS[status >= 500 ? 500 : 400]!;
  return { status, body: { type: 'error', error: { type: known.type, message: message ?? known.message } } };
}

function content(answer: SimAnswer, ctx: ResponseContext): unknown[] {
  if (answer.toolCall) {
    const input: unknown = JSON.parse(answer.toolCall.arguments);
    return [{ type: 'tool_use', id: ctx.toolCallId, name: answer.toolCall.name, input }];
  }
  return answer.text ? [{ type: 'text', text: answer.text }] : [];
}

function usage(inputTokens: number, outputTokens: number) {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function message(answer: SimAnswer, ctx: ResponseContext, streaming: boolean) {
  return {
    id: ctx.id,
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content: streaming ? [] : content(answer, ctx),
    stop_reason: streaming ? null : STOP[answer.finish],
    stop_sequence: null,
    // message_start reports 1 output token so far, as Anthropic does.
    usage: usage(answer.inputTokens, streaming ? 1 : answer.outputTokens),
  };
}

function frames(answer: SimAnswer, ctx: ResponseContext): StreamFrame[] {
  const event = (part: StreamFrame['part'], name: string, data: unknown): StreamFrame => ({
    part,
    text: sse(data, name),
  });
  // Anthropic's ping is the one event written with a space after the colon.
  const ping: StreamFrame = { part: 'head', text: sse('{"type": "ping"}', 'ping') };
  const head = [event('head', 'message_start', { type: 'message_start', message: message(answer, ctx, true) })];
  let deltas: Record<string, string>[] = [];
  const call = answer.toolCall;
  if (call || answer.text) {
    const block = call
      ? { type: 'tool_use', id: ctx.toolCallId, name: call.name, input: {} }
      : { type: 'text', text: '' };
    head.push(event('head', 'content_block_start', { type: 'content_block_start', index: 0, content_block: block }));
    deltas = call
      ? chunkArguments(call.arguments).map((partial_json) => ({ type: 'input_json_delta', partial_json }))
      : chunkText(answer.text).map((text) => ({ type: 'text_delta', text }));
  }
  head.push(ping);
  const tail = [
    ...(deltas.length > 0 ? [event('tail', 'content_block_stop', { type: 'content_block_stop', index: 0 })] : []),
    event('tail', 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: STOP[answer.finish], stop_sequence: null },
      usage: { output_tokens: answer.outputTokens },
    }),
    event('tail', 'message_stop', { type: 'message_stop' }),
  ];
  const body = deltas.map((delta) =>
    event('content', 'content_block_delta', { type: 'content_block_delta', index: 0, delta }),
  );
  return [...head, ...body, ...tail];
}

/** The Anthropic messages dialect (`POST /v1/messages`). */
export const anthropicFormat: WireFormat = {
  name: 'anthropic',
  requestIdHeader: 'request-id',
  parse,
  error,
  json: (answer, ctx) => message(answer, ctx, false),
  frames,
  streamError: () => sse(error(529).body, 'error'),
  models: (ids, created) => ({
    data: ids.map((id) => ({
      type: 'model',
      id,
      display_name: id,
      created_at: new Date(created * 1000).toISOString(),
    })),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids.at(-1) ?? null,
  }),
  ids: (random) => ({
    id: `msg_01${randomId(random, 22)}`,
    toolCallId: `toolu_01${randomId(random, 22)}`,
    requestId: `req_011C${randomId(random, 20)}`,
  }),
};

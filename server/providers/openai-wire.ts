import type { FinishReason, Message, ToolCall } from '../../shared/contracts/completion.js';
import { ProviderError } from '../../shared/engine/errors.js';
import type { ProviderCall, ProviderResult } from '../../shared/engine/ports.js';

/** One message of the OpenAI chat completions wire format. */
export type OpenAIMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

// Fields the adapter owns: a route's params may not replace the conversation or the streaming switch.
const PROTOCOL_FIELDS = ['model', 'messages', 'stream', 'stream_options'] as const;

/**
 * Builds a chat completions request body. Sends `max_tokens` (understood by every OpenAI-compatible server); a route
 * whose model wants `max_completion_tokens` (o-series) sets that in `route.params`, which then replaces `max_tokens`.
 */
export function toOpenAIRequest(call: ProviderCall, options: { stream: boolean }): Record<string, unknown> {
  const { params, route } = call;
  const body: Record<string, unknown> = { model: route.model, messages: call.messages.map(toOpenAIMessage) };
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.topP !== undefined) body.top_p = params.topP;
  if (params.maxTokens !== undefined) body.max_tokens = params.maxTokens;
  if (params.stop?.length) body.stop = params.stop;
  if (params.tools?.length) {
    body.tools = params.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined && { description: t.description }),
        parameters: t.parameters,
      },
    }));
  }
  if (params.toolChoice !== undefined) {
    body.tool_choice =
      typeof params.toolChoice === 'string'
        ? params.toolChoice
        : { type: 'function', function: { name: params.toolChoice.name } };
  }
  if (params.logprobs) body.logprobs = true;
  if (call.responseSchema) body.response_format = toResponseFormat(call.responseSchema);

  const routeParams = { ...route.params };
  for (const field of PROTOCOL_FIELDS) delete routeParams[field];
  if ('max_completion_tokens' in routeParams) delete body.max_tokens;
  Object.assign(body, routeParams);
  if (options.stream) {
    body.stream = true;
    // Without this the usage of a streamed answer is never reported.
    body.stream_options = { include_usage: true };
  }
  return body;
}

function toOpenAIMessage(m: Message): OpenAIMessage {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'assistant': {
      const toolCalls = m.toolCalls ?? [];
      if (toolCalls.length === 0) return { role: 'assistant', content: m.content ?? '' };
      return {
        role: 'assistant',
        content: m.content,
        tool_calls: toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  }
}

function toResponseFormat(schema: Record<string, unknown>): Record<string, unknown> {
  const title = typeof schema.title === 'string' ? schema.title.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) : '';
  return {
    type: 'json_schema',
    json_schema: {
      name: title || 'response',
      schema,
      // Strict mode rejects any schema that leaves extra properties open; only ask for it when the schema closes them.
      strict: schema.additionalProperties === false,
    },
  };
}

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

/** Maps an OpenAI `finish_reason`; compatible servers send a few extras (`eos`, null), read as a normal stop. */
export function fromOpenAIFinishReason(reason: unknown): FinishReason {
  return (typeof reason === 'string' && FINISH_REASONS[reason]) || 'stop';
}

interface OpenAIResponse {
  model?: string;
  choices?: {
    message?: { content?: string | null; refusal?: string | null; tool_calls?: Partial<OpenAIToolCall>[] };
    finish_reason?: string | null;
    logprobs?: { content?: { logprob?: number }[] | null } | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/** Reads a non-streamed chat completion. A 200 with `content_filter` comes back as a result: the engine decides. */
export function fromOpenAIResponse(json: unknown): ProviderResult {
  const response = (json ?? {}) as OpenAIResponse;
  const choice = response.choices?.[0];
  if (!choice) throw new ProviderError({ kind: 'unknown', status: 200, message: 'response has no choices' });
  const message = choice.message ?? {};
  const toolCalls: ToolCall[] = (message.tool_calls ?? []).map((c, i) => ({
    id: c.id ?? `call_${i}`,
    name: c.function?.name ?? '',
    arguments: c.function?.arguments ?? '',
  }));
  const refusal = typeof message.refusal === 'string' && message.refusal ? message.refusal : undefined;
  const logprobs = choice.logprobs?.content?.map((t) => t.logprob).filter((n): n is number => typeof n === 'number');
  return {
    content: message.content ?? '',
    toolCalls,
    finishReason: refusal ? 'refusal' : fromOpenAIFinishReason(choice.finish_reason),
    usage: fromOpenAIUsage(response.usage),
    ...(response.model !== undefined && { model: response.model }),
    ...(refusal !== undefined && { refusal }),
    ...(logprobs?.length && { tokenLogprobs: logprobs }),
  };
}

/** Reads `usage`; absent counts are zero. */
export function fromOpenAIUsage(usage: OpenAIResponse['usage']): ProviderResult['usage'] {
  return { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 };
}

import type { FinishReason, Message, ToolCall, Usage } from '../../shared/contracts/completion.js';
import type { ProviderCall, ProviderResult } from '../../shared/engine/ports.js';

/** Anthropic requires `max_tokens`; this is sent when the request sets none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/** One content block of the Anthropic Messages wire format (the kinds Backstop sends). */
export type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

/**
 * Builds a Messages API request body. System messages move to the top-level `system` (Anthropic has no system turn),
 * tool results travel as `user` turns, and adjacent same-role turns are merged because roles must alternate.
 */
export function toAnthropicRequest(call: ProviderCall, options: { stream: boolean }): Record<string, unknown> {
  const { params, route } = call;
  const system = call.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .filter((text) => text.length > 0);
  const body: Record<string, unknown> = {
    model: route.model,
    max_tokens: params.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    ...(system.length > 0 && { system: system.join('\n\n') }),
    messages: toAnthropicMessages(call.messages),
  };
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.topP !== undefined) body.top_p = params.topP;
  if (params.stop?.length) body.stop_sequences = params.stop;
  if (params.tools?.length) {
    body.tools = params.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      input_schema: t.parameters,
    }));
  }
  if (params.toolChoice !== undefined) body.tool_choice = toToolChoice(params.toolChoice);

  const routeParams = { ...route.params };
  for (const field of ['model', 'messages', 'stream'] as const) delete routeParams[field];
  Object.assign(body, routeParams);
  if (options.stream) body.stream = true;
  return body;
}

function toToolChoice(choice: NonNullable<ProviderCall['params']['toolChoice']>): Record<string, unknown> {
  if (typeof choice === 'object') return { type: 'tool', name: choice.name };
  return { type: choice === 'required' ? 'any' : choice };
}

function toAnthropicMessages(messages: Message[]): AnthropicMessage[] {
  const turns: AnthropicMessage[] = [];
  for (const m of messages) {
    let turn: AnthropicMessage | undefined;
    if (m.role === 'user') turn = { role: 'user', content: textBlocks(m.content) };
    if (m.role === 'tool')
      turn = { role: 'user', content: [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }] };
    if (m.role === 'assistant') {
      turn = {
        role: 'assistant',
        content: [
          ...textBlocks(m.content ?? ''),
          ...(m.toolCalls ?? []).map((c) => ({
            type: 'tool_use' as const,
            id: c.id,
            name: c.name,
            input: parseInput(c.arguments),
          })),
        ],
      };
    }
    // Anthropic rejects empty text blocks and empty turns; an empty message carries nothing to keep.
    if (!turn || turn.content.length === 0) continue;
    const last = turns.at(-1);
    if (last && last.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  }
  return turns;
}

function textBlocks(text: string): AnthropicBlock[] {
  return text.length > 0 ? [{ type: 'text', text }] : [];
}

function parseInput(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Falls through: `input` must be an object, and a model's broken JSON cannot be repaired here.
  }
  return {};
}

const STOP_REASONS: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'refusal',
};

/** Maps an Anthropic `stop_reason`. */
export function fromAnthropicStopReason(reason: unknown): FinishReason {
  return (typeof reason === 'string' && STOP_REASONS[reason]) || 'stop';
}

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Input counts cached prompt tokens too, so that it means the whole prompt, as OpenAI's `prompt_tokens` does. */
export function fromAnthropicUsage(usage: AnthropicUsage | undefined): Usage {
  return {
    inputTokens:
      (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0),
    outputTokens: usage?.output_tokens ?? 0,
  };
}

interface AnthropicResponse {
  model?: string;
  content?: { type?: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

/** Reads a non-streamed Messages API response: text blocks joined, `tool_use` blocks as tool calls. */
export function fromAnthropicResponse(json: unknown): ProviderResult {
  const response = (json ?? {}) as AnthropicResponse;
  const blocks = response.content ?? [];
  const toolCalls: ToolCall[] = blocks
    .filter((b) => b.type === 'tool_use')
    .map((b, i) => ({ id: b.id ?? `toolu_${i}`, name: b.name ?? '', arguments: JSON.stringify(b.input ?? {}) }));
  return {
    content: blocks
      .filter((b) => b.type === 'text')
      .map((b) => b.text ?? '')
      .join(''),
    toolCalls,
    finishReason: fromAnthropicStopReason(response.stop_reason),
    usage: fromAnthropicUsage(response.usage),
    ...(response.model !== undefined && { model: response.model }),
  };
}

import type { CompletionParams, Message, Usage } from '../contracts/completion.js';
import type { RouteSpec } from '../contracts/route.js';

/** ASCII characters per token in the estimate. English prose averages about 4 with common tokenizers. */
export const CHARS_PER_TOKEN = 4;

/** Tokens added per message for the role marker and separators that chat templates wrap around content. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Output tokens reserved when the request sets no `maxTokens`. Defaults to 512. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 512;

const TOKENS_PER_MILLION = 1_000_000;

// Non-ASCII text (CJK, emoji, accented scripts) tokenizes far denser than 4 characters per token, so each
// such UTF-16 unit counts as a whole token: the estimate errs high, which is what a reservation needs.
function textTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / CHARS_PER_TOKEN) + other;
}

function messageText(message: Message): string {
  switch (message.role) {
    case 'system':
    case 'user':
      return message.content;
    case 'tool':
      return (message.name ?? '') + message.content;
    case 'assistant': {
      const calls = (message.toolCalls ?? []).map((call) => call.name + call.arguments).join('');
      return (message.content ?? '') + calls;
    }
  }
}

/**
 * A cheap, deterministic estimate of the input tokens of `messages`: about 4 ASCII characters per token plus
 * `MESSAGE_OVERHEAD_TOKENS` per message, tool call names and arguments included. Not a real tokenizer.
 */
export function estimateTokens(messages: Message[]): number {
  let tokens = 0;
  for (const message of messages) tokens += MESSAGE_OVERHEAD_TOKENS + textTokens(messageText(message));
  return tokens;
}

/**
 * The cost to reserve before calling `route`, in USD: estimated input (tool definitions included) plus
 * `params.maxTokens` of output, or `DEFAULT_MAX_OUTPUT_TOKENS` (512) when unset. Meant to err high.
 */
export function estimateCostUsd(route: RouteSpec, messages: Message[], params: CompletionParams): number {
  // Tool schemas are sent as part of the prompt on every provider, so they are paid input.
  const toolTokens = params.tools && params.tools.length > 0 ? textTokens(JSON.stringify(params.tools)) : 0;
  return costUsd(route, {
    inputTokens: estimateTokens(messages) + toolTokens,
    outputTokens: params.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
  });
}

/** The actual cost of a call, in USD, from the provider's reported usage and the route's per-million-token price. */
export function costUsd(route: RouteSpec, usage: Usage): number {
  const { inputPerMTok, outputPerMTok } = route.price;
  return (usage.inputTokens * inputPerMTok + usage.outputTokens * outputPerMTok) / TOKENS_PER_MILLION;
}

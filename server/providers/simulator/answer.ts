import { CONTINUE_INSTRUCTION } from '../../../shared/engine/stream-session.js';
import type { AnswerOutcome } from './faults.js';

/** One message of a simulated request, flattened to text whatever the wire format. */
export interface SimTurn {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
}

/** A tool the caller offered; `parameters` is its JSON Schema. */
export interface SimTool {
  name: string;
  parameters: Record<string, unknown>;
}

/** A request in either wire format, reduced to what the simulator needs to answer it. */
export interface SimRequest {
  model: string;
  turns: SimTurn[];
  tools: SimTool[];
  toolChoice: 'auto' | 'none' | 'required' | { name: string };
  /** Output cap, in tokens; unset means no cap. */
  maxTokens?: number;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
}

/** Finish reasons in neutral terms; each format maps them to its own words. */
export type SimFinish = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** What the simulated model answers, before any wire format. */
export interface SimAnswer {
  text: string;
  toolCall?: { name: string; arguments: string };
  finish: SimFinish;
  inputTokens: number;
  outputTokens: number;
}

/** The low-quality answer: polite, useless, and cut short. */
export const LOW_QUALITY_TEXT = "I'm sorry, I can't help with that.";

const QUOTE_LIMIT = 200;

/** Tokens for a text at roughly 4 characters per token (the usual rule of thumb for English). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The simulated model's answer: the canned answer for the model if any, else an echo of the last user message.
 * The echo does not name the model, so a continuation on a fallback model completes the same text.
 */
export function composeAnswer(request: SimRequest, outcome: AnswerOutcome, canned?: string): SimAnswer {
  const inputTokens = Math.max(1, estimateTokens(request.turns.map((t) => t.text).join('')));
  if (outcome === 'empty') return { text: '', finish: 'stop', inputTokens, outputTokens: 0 };
  if (outcome === 'content_filter') return { text: '', finish: 'content_filter', inputTokens, outputTokens: 0 };
  if (outcome === 'low_quality') {
    return { text: LOW_QUALITY_TEXT, finish: 'length', inputTokens, outputTokens: estimateTokens(LOW_QUALITY_TEXT) };
  }

  const turns = request.turns;
  const last = turns[turns.length - 1];
  // Backstop resumes a broken stream with [assistant: partial, user: CONTINUE_INSTRUCTION]; a cooperative model
  // continues the partial answer to the original conversation.
  const resuming = last?.role === 'user' && last.text === CONTINUE_INSTRUCTION && turns.at(-2)?.role === 'assistant';
  const conversation = resuming ? turns.slice(0, -2) : turns;
  const toolCall = last?.role === 'user' && !resuming ? pickToolCall(request, last.text) : undefined;
  if (toolCall) {
    const outputTokens = estimateTokens(toolCall.name + toolCall.arguments);
    return { text: '', toolCall, finish: 'tool_calls', inputTokens, outputTokens };
  }

  const full = canned ?? echo(conversation);
  // An assistant turn at the end is a prefix to continue (Anthropic prefill, or resuming a broken stream).
  const prefix = resuming ? turns.at(-2)!.text : last?.role === 'assistant' ? last.text : '';
  const text = prefix && full.startsWith(prefix) ? full.slice(prefix.length) : full;
  const capChars = request.maxTokens === undefined ? Infinity : request.maxTokens * 4;
  if (text.length > capChars) {
    return { text: text.slice(0, capChars), finish: 'length', inputTokens, outputTokens: request.maxTokens! };
  }
  return { text, finish: 'stop', inputTokens, outputTokens: estimateTokens(text) };
}

function echo(turns: SimTurn[]): string {
  const lastTool = turns.at(-1)?.role === 'tool' ? turns.at(-1) : undefined;
  if (lastTool) return `The tool returned: "${clip(lastTool.text)}"`;
  const lastUser = [...turns].reverse().find((t) => t.role === 'user');
  return `You said: "${clip(lastUser?.text ?? '')}"`;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > QUOTE_LIMIT ? `${flat.slice(0, QUOTE_LIMIT)}...` : flat;
}

// A tool is called when the caller forces one, or when the prompt names it.
function pickToolCall(request: SimRequest, prompt: string): SimAnswer['toolCall'] {
  const { tools, toolChoice } = request;
  if (tools.length === 0 || toolChoice === 'none') return undefined;
  const lower = prompt.toLowerCase();
  const tool =
    typeof toolChoice === 'object'
      ? tools.find((t) => t.name === toolChoice.name)
      : (tools.find((t) => lower.includes(t.name.toLowerCase())) ?? (toolChoice === 'required' ? tools[0] : undefined));
  return tool && { name: tool.name, arguments: JSON.stringify(sampleArguments(tool.parameters)) };
}

/** Deterministic placeholder arguments that satisfy a simple JSON Schema (first enum value, 1, true, "sample"). */
export function sampleArguments(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(properties).map(([key, prop]) => [key, sampleValue(prop)]));
}

function sampleValue(schema: Record<string, unknown>): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return sampleArguments(schema);
    case 'null':
      return null;
    default:
      return 'sample';
  }
}

/** Splits text into word-sized stream chunks (each word keeps its trailing space), so joining them gives it back. */
export function chunkText(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** Splits JSON arguments into stream chunks of `size` characters, like providers' `partial_json` deltas. */
export function chunkArguments(json: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < json.length; i += size) out.push(json.slice(i, i + size));
  return out;
}

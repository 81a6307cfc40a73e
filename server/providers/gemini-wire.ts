import type { FinishReason, Message, ToolCall, Usage } from '../../shared/contracts/completion.js';
import type { ProviderCall, ProviderResult } from '../../shared/engine/ports.js';

/** One part of a Gemini `Content` (the kinds Backstop sends). */
export type GeminiPart =
  | { text: string }
  | { functionCall: { name: string; args: Record<string, unknown> } }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

/**
 * Builds a `generateContent` request body (the same body serves `streamGenerateContent`). System messages become
 * `systemInstruction`; tool results are `functionResponse` parts in a `user` turn, named after the call they answer.
 */
export function toGeminiRequest(call: ProviderCall): Record<string, unknown> {
  const { params } = call;
  const system = call.messages.filter((m) => m.role === 'system' && m.content.length > 0).map((m) => m.content);
  const body: Record<string, unknown> = {
    contents: toGeminiContents(call.messages),
    ...(system.length > 0 && { systemInstruction: { parts: [{ text: system.join('\n\n') }] } }),
  };
  if (params.tools?.length) {
    body.tools = [
      {
        functionDeclarations: params.tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined && { description: t.description }),
          parameters: t.parameters,
        })),
      },
    ];
  }
  if (params.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: toCallingConfig(params.toolChoice) };

  const generationConfig: Record<string, unknown> = {};
  if (params.temperature !== undefined) generationConfig.temperature = params.temperature;
  if (params.topP !== undefined) generationConfig.topP = params.topP;
  if (params.maxTokens !== undefined) generationConfig.maxOutputTokens = params.maxTokens;
  if (params.stop?.length) generationConfig.stopSequences = params.stop;
  if (params.logprobs) generationConfig.responseLogprobs = true;
  if (call.responseSchema) {
    generationConfig.responseMimeType = 'application/json';
    generationConfig.responseSchema = call.responseSchema;
  }

  // Route params are top-level fields (safetySettings, cachedContent); their generationConfig extends ours.
  const { generationConfig: routeGeneration, contents: _c, ...routeParams } = call.route.params ?? {};
  Object.assign(body, routeParams);
  Object.assign(generationConfig, isRecord(routeGeneration) ? routeGeneration : {});
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  return body;
}

function toCallingConfig(choice: NonNullable<ProviderCall['params']['toolChoice']>): Record<string, unknown> {
  if (typeof choice === 'object') return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  return { mode: choice === 'required' ? 'ANY' : choice === 'none' ? 'NONE' : 'AUTO' };
}

function toGeminiContents(messages: Message[]): GeminiContent[] {
  // functionResponse needs the function's name, which a tool message may leave to its call id.
  const callNames = new Map<string, string>();
  const contents: GeminiContent[] = [];
  for (const m of messages) {
    let content: GeminiContent | undefined;
    if (m.role === 'user') content = { role: 'user', parts: textParts(m.content) };
    if (m.role === 'assistant') {
      for (const c of m.toolCalls ?? []) callNames.set(c.id, c.name);
      content = {
        role: 'model',
        parts: [
          ...textParts(m.content ?? ''),
          ...(m.toolCalls ?? []).map((c) => ({ functionCall: { name: c.name, args: parseArgs(c.arguments) } })),
        ],
      };
    }
    if (m.role === 'tool') {
      const name = m.name ?? callNames.get(m.toolCallId) ?? m.toolCallId;
      content = { role: 'user', parts: [{ functionResponse: { name, response: toResponseObject(m.content) } }] };
    }
    if (!content || content.parts.length === 0) continue;
    // Parallel calls must be answered in one turn, and Gemini expects user and model turns to alternate.
    const last = contents.at(-1);
    if (last && last.role === content.role) last.parts.push(...content.parts);
    else contents.push(content);
  }
  return contents;
}

function textParts(text: string): GeminiPart[] {
  return text.length > 0 ? [{ text }] : [];
}

function parseArgs(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args || '{}');
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

// `response` must be a JSON object (a protobuf Struct); Google's docs put plain results under `output`.
function toResponseObject(content: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(content);
    if (isRecord(parsed)) return parsed;
  } catch {
    // Not JSON: sent as text below.
  }
  return { output: content };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  STOP: 'stop',
  FINISH_REASON_UNSPECIFIED: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  LANGUAGE: 'error',
  OTHER: 'error',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
};

/** Maps a Gemini `finishReason`; Gemini says STOP even when it called a function. */
export function fromGeminiFinishReason(reason: unknown, calledTools: boolean): FinishReason {
  const mapped = (typeof reason === 'string' && FINISH_REASONS[reason]) || 'stop';
  return mapped === 'stop' && calledTools ? 'tool_calls' : mapped;
}

export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
}

/** Thinking tokens are billed as output, so they count as output. */
export function fromGeminiUsage(usage: GeminiUsage | undefined): Usage {
  return {
    inputTokens: usage?.promptTokenCount ?? 0,
    outputTokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
  };
}

export interface GeminiResponse {
  candidates?: {
    content?: { parts?: GeminiResponsePart[] };
    finishReason?: string;
    logprobsResult?: { chosenCandidates?: { logProbability?: number }[] };
  }[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
}

export interface GeminiResponsePart {
  text?: string;
  thought?: boolean;
  functionCall?: { id?: string; name?: string; args?: unknown };
}

/** The answer text of a part; thought summaries are not answer text. */
export function partText(part: GeminiResponsePart): string {
  return part.thought ? '' : (part.text ?? '');
}

/**
 * Reads a non-streamed `generateContent` response. Gemini gives function calls no ids unless asked, so missing ids
 * are made as `${idPrefix}_${n}`; a prompt blocked before any candidate reads as `content_filter`.
 */
export function fromGeminiResponse(json: unknown, idPrefix = 'call'): ProviderResult {
  const response = (json ?? {}) as GeminiResponse;
  const candidate = response.candidates?.[0];
  const parts = candidate?.content?.parts ?? [];
  const toolCalls: ToolCall[] = parts
    .filter((p) => p.functionCall)
    .map((p, i) => ({
      id: p.functionCall?.id ?? `${idPrefix}_${i}`,
      name: p.functionCall?.name ?? '',
      arguments: JSON.stringify(p.functionCall?.args ?? {}),
    }));
  const blocked = !candidate && response.promptFeedback?.blockReason !== undefined;
  const logprobs = candidate?.logprobsResult?.chosenCandidates
    ?.map((c) => c.logProbability)
    .filter((n): n is number => typeof n === 'number');
  return {
    content: parts.map(partText).join(''),
    toolCalls,
    finishReason: blocked ? 'content_filter' : fromGeminiFinishReason(candidate?.finishReason, toolCalls.length > 0),
    usage: fromGeminiUsage(response.usageMetadata),
    ...(response.modelVersion !== undefined && { model: response.modelVersion }),
    ...(logprobs?.length && { tokenLogprobs: logprobs }),
  };
}

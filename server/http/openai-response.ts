import type { CompletionResult, FinishReason } from '../../shared/contracts/completion.js';
import type { EngineStreamEvent } from '../../shared/engine/stream-session.js';
import type { OpenAIErrorBody } from './openai-errors.js';

const FINISH: Readonly<Record<FinishReason, string>> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'content_filter',
  error: 'stop',
};

/** OpenAI's `finish_reason` for ours; OpenAI has no `refusal` or `error` finish, so they fold into the nearest. */
export function toOpenAIFinishReason(reason: FinishReason): string {
  return FINISH[reason];
}

/** The model named in a response: the one that answered, else the caller's alias (stand-in answers have no model). */
export function answeringModel(result: CompletionResult, requested: string): string {
  return result.model ?? result.routeId ?? requested;
}

/** Converts an answered result to an OpenAI `chat.completion` object. `created` is in Unix seconds. */
export function toChatCompletion(result: CompletionResult, options: { model: string; created: number }) {
  const toolCalls = result.toolCalls.map((c) => ({
    id: c.id,
    type: 'function' as const,
    function: { name: c.name, arguments: c.arguments },
  }));
  return {
    id: `chatcmpl-${result.decisionId}`,
    object: 'chat.completion' as const,
    created: options.created,
    model: answeringModel(result, options.model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          // OpenAI sends null content with tool calls and an empty string for a genuinely empty answer.
          content: toolCalls.length > 0 && !result.content ? null : result.content,
          refusal: null,
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: toOpenAIFinishReason(result.finishReason),
      },
    ],
    usage: toOpenAIUsage(result),
  };
}

/** OpenAI `usage` from a result. */
export function toOpenAIUsage(result: CompletionResult) {
  const { inputTokens, outputTokens } = result.usage;
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
}

/** The `x-backstop-*` headers that describe how a result was produced. */
export function resultHeaders(result: CompletionResult): Record<string, string> {
  return {
    ...(result.tier !== null && { 'x-backstop-tier': String(result.tier) }),
    ...(result.routeId && { 'x-backstop-route': result.routeId }),
    ...(result.provider && { 'x-backstop-provider': result.provider }),
    'x-backstop-fallbacks': String(Math.max(0, result.attempts - 1)),
    'x-backstop-degraded': String(result.degraded),
    ...(result.degradedReasons.length > 0 && { 'x-backstop-degraded-reasons': result.degradedReasons.join(',') }),
    'x-backstop-decision-id': result.decisionId,
    'x-backstop-uncertain': String(result.uncertain),
  };
}

/** The 202 body for a result that will come later (queued, paused or in review). */
export function toDeferredBody(result: CompletionResult) {
  return {
    id: `chatcmpl-${result.decisionId}`,
    object: 'backstop.deferred_completion' as const,
    status: result.status,
    job_id: result.jobId ?? null,
    decision_id: result.decisionId,
    message: `No answer now: the request is ${result.status === 'in_review' ? 'waiting for review' : 'queued'} as job ${result.jobId ?? '(none)'}.`,
  };
}

export interface ChunkEncoderOptions {
  /** The `id` of every chunk: `chatcmpl-<decisionId>`. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model named until one is known: the caller's alias, or the pinned route's model. */
  model: string;
  /** OpenAI `stream_options.include_usage`: a last chunk with usage and no choices. */
  includeUsage: boolean;
  /** The model of a route id, so that chunks after a fallback name the new model. */
  modelOfRoute: (routeId: string) => string | undefined;
}

/** A data line: `data: <json>`, blank-line terminated. */
export const sseData = (data: unknown): string => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

// SSE comments (lines starting with ':') are skipped by every SSE parser, the openai client's included.
const sseComment = (name: string, data: unknown): string => `: ${name} ${JSON.stringify(data)}\n\n`;

/**
 * Turns engine stream events into OpenAI `chat.completion.chunk` SSE frames: the role delta first, content and
 * tool-call deltas, fallbacks as `: backstop-fallback` comments, then the finish chunk, the usage chunk (if asked) and
 * `data: [DONE]`.
 */
export function createChunkEncoder(options: ChunkEncoderOptions) {
  let model = options.model;
  let streamed = false;
  const toolIndexes = new Set<number>();

  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    sseData({
      id: options.id,
      object: 'chat.completion.chunk',
      created: options.created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      // OpenAI marks every chunk but the last with usage: null when usage was asked for.
      ...(options.includeUsage && { usage: null }),
    });

  const toolDelta = (index: number, id: string | undefined, name: string | undefined, args: string) => {
    const first = !toolIndexes.has(index);
    toolIndexes.add(index);
    const fn = { ...(name && { name }), arguments: args };
    return chunk({ tool_calls: [{ index, ...(id && { id }), ...(first && { type: 'function' }), function: fn }] });
  };

  const finish = (result: CompletionResult): string[] => {
    const frames: string[] = [];
    // Stand-in answers (cache, default response) arrive whole with `done`, never as deltas.
    if (!streamed && result.source !== 'provider') {
      if (result.content) frames.push(chunk({ content: result.content }));
      result.toolCalls.forEach((c, i) => frames.push(toolDelta(i, c.id, c.name, c.arguments)));
    }
    model = answeringModel(result, model);
    frames.push(
      sseComment('backstop-result', {
        status: result.status,
        decisionId: result.decisionId,
        route: result.routeId,
        provider: result.provider,
        tier: result.tier,
        fallbacks: Math.max(0, result.attempts - 1),
        degraded: result.degraded,
        degradedReasons: result.degradedReasons,
        uncertain: result.uncertain,
        ...(result.jobId && { jobId: result.jobId }),
      }),
    );
    frames.push(chunk({}, toOpenAIFinishReason(result.finishReason)));
    if (options.includeUsage) {
      frames.push(
        sseData({
          id: options.id,
          object: 'chat.completion.chunk',
          created: options.created,
          model,
          choices: [],
          usage: toOpenAIUsage(result),
        }),
      );
    }
    frames.push(sseData('[DONE]'));
    return frames;
  };

  return {
    /** The first frame: the assistant role with empty content, as OpenAI sends it. */
    start: (): string => chunk({ role: 'assistant', content: '', refusal: null }),

    /** Frames for one engine event. */
    event(ev: EngineStreamEvent): string[] {
      switch (ev.type) {
        case 'text':
          streamed = true;
          return [chunk({ content: ev.text })];
        case 'tool_call':
          streamed = true;
          return [toolDelta(ev.index, ev.id, ev.name, ev.argumentsDelta)];
        case 'fallback':
          model = options.modelOfRoute(ev.toRouteId) ?? model;
          return [
            sseComment('backstop-fallback', {
              from: ev.fromRouteId,
              to: ev.toRouteId,
              reason: ev.reason,
              mode: ev.mode,
              afterChars: ev.afterChars,
            }),
          ];
        case 'done':
          return finish(ev.result);
      }
    },

    /** The frame for a failure after the stream began: the openai client raises an APIError on `data: {error}`. */
    error: (body: OpenAIErrorBody): string => sseData(body),
  };
}
export type ChunkEncoder = ReturnType<typeof createChunkEncoder>;

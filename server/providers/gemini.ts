import type { FinishReason, Usage } from '../../shared/contracts/completion.js';
import type { ProviderAdapter, ProviderStreamEvent } from '../../shared/engine/ports.js';
import {
  fromGeminiFinishReason,
  fromGeminiResponse,
  fromGeminiUsage,
  partText,
  toGeminiRequest,
  type GeminiResponse,
} from './gemini-wire.js';
import { streamErrorFrom, streamInterrupted, type HttpTransportOptions } from './http.js';
import { parseEventData, type SseEvent } from './sse.js';
import { createWireAdapter } from './wire-adapter.js';

export { fromGeminiResponse, toGeminiRequest } from './gemini-wire.js';

export interface GeminiAdapterOptions extends HttpTransportOptions {
  /** API root without the version path, e.g. `https://generativelanguage.googleapis.com`. */
  baseUrl: string;
  apiKey: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/**
 * An adapter for the Gemini API (`generateContent`, and `streamGenerateContent?alt=sse` for streams). The key goes
 * in the `x-goog-api-key` header, never in the URL, so that it cannot leak through an error or an access log.
 * @example createGeminiAdapter({ baseUrl: 'https://generativelanguage.googleapis.com', apiKey: env.GEMINI_API_KEY })
 */
export function createGeminiAdapter(options: GeminiAdapterOptions): ProviderAdapter {
  const base = options.baseUrl.replace(/\/+$/, '');
  const secrets = [options.apiKey];

  return createWireAdapter(
    {
      secrets,
      request: (call, stream) => {
        const model = encodeURIComponent(call.route.model.replace(/^models\//, ''));
        return {
          url: `${base}/v1beta/models/${model}${stream ? ':streamGenerateContent?alt=sse' : ':generateContent'}`,
          headers: {
            ...options.headers,
            accept: stream ? 'text/event-stream' : 'application/json',
            'x-goog-api-key': options.apiKey,
          },
          body: toGeminiRequest(call),
        };
      },
      fromResponse: (json, call) => fromGeminiResponse(json, `call_${call.requestId}`),
      fromStream: (events, call) => parseGeminiStream(events, `call_${call.requestId}`, secrets),
    },
    options,
  );
}

/**
 * Turns `streamGenerateContent` chunks into stream events. Gemini sends whole function calls (never partial JSON)
 * and no end marker: the stream is complete when a chunk carried a `finishReason` and the body then ended.
 */
export async function* parseGeminiStream(
  events: AsyncIterable<SseEvent>,
  idPrefix = 'call',
  secrets: readonly string[] = [],
): AsyncGenerator<ProviderStreamEvent> {
  let rawFinish: string | undefined;
  let blocked = false;
  let usage: Usage = { inputTokens: 0, outputTokens: 0 };
  let model: string | undefined;
  let calls = 0;

  for await (const event of events) {
    const chunk = parseEventData(event) as GeminiResponse & { error?: unknown };
    if (chunk.error) throw streamErrorFrom(chunk, secrets);
    model = chunk.modelVersion ?? model;
    if (chunk.usageMetadata) usage = fromGeminiUsage(chunk.usageMetadata);
    if (chunk.promptFeedback?.blockReason && !chunk.candidates?.length) blocked = true;
    const candidate = chunk.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      const text = partText(part);
      if (text) yield { type: 'text', text };
      if (part.functionCall) {
        const index = calls++;
        yield {
          type: 'tool_call',
          index,
          id: part.functionCall.id ?? `${idPrefix}_${index}`,
          name: part.functionCall.name ?? '',
          argumentsDelta: JSON.stringify(part.functionCall.args ?? {}),
        };
      }
    }
    if (candidate?.finishReason) rawFinish = candidate.finishReason;
  }
  if (rawFinish === undefined && !blocked) throw streamInterrupted('stream ended before a finishReason');
  const finishReason: FinishReason = blocked ? 'content_filter' : fromGeminiFinishReason(rawFinish, calls > 0);
  yield { type: 'finish', finishReason, usage, ...(model !== undefined && { model }) };
}

import type { FinishReason, Usage } from '../../shared/contracts/completion.js';
import type { ProviderAdapter, ProviderCall, ProviderStreamEvent } from '../../shared/engine/ports.js';
import { streamErrorFrom, streamInterrupted, type HttpTransportOptions } from './http.js';
import { fromOpenAIFinishReason, fromOpenAIResponse, fromOpenAIUsage, toOpenAIRequest } from './openai-wire.js';
import { parseEventData, type SseEvent } from './sse.js';
import { createWireAdapter } from './wire-adapter.js';

export { fromOpenAIResponse, toOpenAIRequest } from './openai-wire.js';

export interface OpenAIAdapterOptions extends HttpTransportOptions {
  /**
   * API root including the version path, e.g. `https://api.openai.com/v1` or `https://api.groq.com/openai/v1`;
   * with `azure`, the resource endpoint `https://<resource>.openai.azure.com`.
   */
  baseUrl: string;
  apiKey?: string;
  /** How the key is sent: `Authorization: Bearer`, an `api-key` header, or not at all. Defaults to `bearer`. */
  auth?: 'bearer' | 'api-key' | 'none';
  /** Extra headers on every request (organization, project, referer). */
  headers?: Record<string, string>;
  /** Azure OpenAI: the route's model is the deployment name, the key goes in `api-key`. */
  azure?: { apiVersion: string };
}

/**
 * An adapter for OpenAI chat completions and every OpenAI-compatible upstream (Azure, Groq, DeepSeek, Mistral, vLLM).
 * @example createOpenAIAdapter({ baseUrl: 'https://api.openai.com/v1', apiKey: env.OPENAI_API_KEY })
 */
export function createOpenAIAdapter(options: OpenAIAdapterOptions): ProviderAdapter {
  const base = options.baseUrl.replace(/\/+$/, '');
  const auth = options.azure ? 'api-key' : (options.auth ?? 'bearer');
  const secrets = options.apiKey ? [options.apiKey] : [];

  const urlFor = (call: ProviderCall) =>
    options.azure
      ? `${base}/openai/deployments/${encodeURIComponent(call.route.model)}/chat/completions?api-version=${encodeURIComponent(options.azure.apiVersion)}`
      : `${base}/chat/completions`;

  const headersFor = (stream: boolean): Record<string, string> => {
    const headers: Record<string, string> = {
      ...options.headers,
      accept: stream ? 'text/event-stream' : 'application/json',
    };
    if (options.apiKey && auth === 'bearer') headers.authorization = `Bearer ${options.apiKey}`;
    if (options.apiKey && auth === 'api-key') headers['api-key'] = options.apiKey;
    return headers;
  };

  return createWireAdapter(
    {
      secrets,
      request: (call, stream) => ({
        url: urlFor(call),
        headers: headersFor(stream),
        body: toOpenAIRequest(call, { stream }),
      }),
      fromResponse: (json) => fromOpenAIResponse(json),
      fromStream: (events) => parseOpenAIStream(events, secrets),
    },
    options,
  );
}

interface OpenAIChunk {
  model?: string;
  choices?: {
    index?: number;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

/**
 * Turns chat completion chunks into stream events. The finish event waits for `[DONE]`, because with
 * `include_usage` the usage arrives in its own chunk after the one carrying `finish_reason`.
 */
export async function* parseOpenAIStream(
  events: AsyncIterable<SseEvent>,
  secrets: readonly string[] = [],
): AsyncGenerator<ProviderStreamEvent> {
  let finishReason: FinishReason | undefined;
  let usage: Usage = { inputTokens: 0, outputTokens: 0 };
  let model: string | undefined;
  let refused = false;
  const finish = (): ProviderStreamEvent => ({
    type: 'finish',
    finishReason: refused ? 'refusal' : (finishReason ?? 'stop'),
    usage,
    ...(model !== undefined && { model }),
  });

  for await (const event of events) {
    if (event.data === '[DONE]') {
      yield finish();
      return;
    }
    const chunk = parseEventData(event) as OpenAIChunk;
    if (event.event === 'error' || chunk.error) {
      throw streamErrorFrom(chunk, secrets);
    }
    model ??= chunk.model;
    if (chunk.usage) usage = fromOpenAIUsage(chunk.usage);
    for (const choice of chunk.choices ?? []) {
      // n > 1 is not supported: the engine asks for one answer.
      if ((choice.index ?? 0) !== 0) continue;
      const delta = choice.delta ?? {};
      if (delta.content) yield { type: 'text', text: delta.content };
      // A refusal is not answer text: it only marks the finish, and the engine decides what the caller sees.
      if (delta.refusal) refused = true;
      for (const tc of delta.tool_calls ?? []) {
        yield {
          type: 'tool_call',
          index: tc.index ?? 0,
          ...(tc.id !== undefined && { id: tc.id }),
          ...(tc.function?.name !== undefined && { name: tc.function.name }),
          argumentsDelta: tc.function?.arguments ?? '',
        };
      }
      if (choice.finish_reason) finishReason = fromOpenAIFinishReason(choice.finish_reason);
    }
  }
  // Some compatible servers close the stream after the finish_reason chunk without sending `[DONE]`.
  if (finishReason === undefined) throw streamInterrupted('stream ended before the answer finished');
  yield finish();
}

import type { FinishReason, Usage } from '../../shared/contracts/completion.js';
import type { ProviderAdapter, ProviderStreamEvent } from '../../shared/engine/ports.js';
import {
  fromAnthropicResponse,
  fromAnthropicStopReason,
  fromAnthropicUsage,
  toAnthropicRequest,
  type AnthropicUsage,
} from './anthropic-wire.js';
import { streamErrorFrom, streamInterrupted, type HttpTransportOptions } from './http.js';
import { parseEventData, type SseEvent } from './sse.js';
import { createWireAdapter } from './wire-adapter.js';

export { fromAnthropicResponse, toAnthropicRequest } from './anthropic-wire.js';

export interface AnthropicAdapterOptions extends HttpTransportOptions {
  /** API root without the version path, e.g. `https://api.anthropic.com`. */
  baseUrl: string;
  apiKey: string;
  /** The `anthropic-version` header. Defaults to `2023-06-01`. */
  version?: string;
  /** Extra headers on every request (e.g. `anthropic-beta`). */
  headers?: Record<string, string>;
}

/**
 * An adapter for the Anthropic Messages API (`POST /v1/messages`).
 * @example createAnthropicAdapter({ baseUrl: 'https://api.anthropic.com', apiKey: env.ANTHROPIC_API_KEY })
 */
export function createAnthropicAdapter(options: AnthropicAdapterOptions): ProviderAdapter {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/messages`;
  const secrets = [options.apiKey];

  return createWireAdapter(
    {
      secrets,
      request: (call, stream) => ({
        url,
        headers: {
          ...options.headers,
          accept: stream ? 'text/event-stream' : 'application/json',
          'x-api-key': options.apiKey,
          'anthropic-version': options.version ?? '2023-06-01',
        },
        body: toAnthropicRequest(call, { stream }),
      }),
      fromResponse: (json) => fromAnthropicResponse(json),
      fromStream: (events) => parseAnthropicStream(events, secrets),
    },
    options,
  );
}

interface AnthropicStreamEvent {
  type?: string;
  index?: number;
  message?: { model?: string; usage?: AnthropicUsage };
  content_block?: { type?: string; text?: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
}

/**
 * Turns Messages API stream events into stream events. Tool calls are numbered in order of appearance, not by
 * Anthropic's content-block index (which also counts text and thinking blocks).
 */
export async function* parseAnthropicStream(
  events: AsyncIterable<SseEvent>,
  secrets: readonly string[] = [],
): AsyncGenerator<ProviderStreamEvent> {
  let usage: AnthropicUsage = {};
  let model: string | undefined;
  let finishReason: FinishReason = 'stop';
  const toolIndex = new Map<number, { index: number; sentArguments: boolean }>();

  for await (const event of events) {
    const data = parseEventData(event) as AnthropicStreamEvent;
    const type = data.type ?? event.event;
    // A 200 stream can still fail: Anthropic sends `event: error` (e.g. overloaded_error) mid-stream.
    if (type === 'error') throw streamErrorFrom(data, secrets);
    switch (type) {
      case 'message_start':
        model = data.message?.model;
        usage = { ...data.message?.usage };
        break;
      case 'content_block_start': {
        const block = data.content_block;
        if (block?.type === 'text' && block.text) yield { type: 'text', text: block.text };
        if (block?.type === 'tool_use') {
          const index = toolIndex.size;
          toolIndex.set(data.index ?? index, { index, sentArguments: false });
          yield {
            type: 'tool_call',
            index,
            ...(block.id !== undefined && { id: block.id }),
            ...(block.name !== undefined && { name: block.name }),
            argumentsDelta: '',
          };
        }
        break;
      }
      case 'content_block_delta': {
        const delta = data.delta;
        if (delta?.type === 'text_delta' && delta.text) yield { type: 'text', text: delta.text };
        const tool = toolIndex.get(data.index ?? -1);
        if (delta?.type === 'input_json_delta' && tool && delta.partial_json) {
          tool.sentArguments = true;
          yield { type: 'tool_call', index: tool.index, argumentsDelta: delta.partial_json };
        }
        break;
      }
      case 'content_block_stop': {
        const tool = toolIndex.get(data.index ?? -1);
        // A call without arguments streams no JSON at all; the non-streamed answer would say `{}`.
        if (tool && !tool.sentArguments) {
          tool.sentArguments = true;
          yield { type: 'tool_call', index: tool.index, argumentsDelta: '{}' };
        }
        break;
      }
      case 'message_delta':
        if (data.delta?.stop_reason) finishReason = fromAnthropicStopReason(data.delta.stop_reason);
        // message_delta usage counts are cumulative, so they replace what message_start said.
        usage = { ...usage, ...definedOnly(data.usage) };
        break;
      case 'message_stop': {
        const final: Usage = fromAnthropicUsage(usage);
        yield { type: 'finish', finishReason, usage: final, ...(model !== undefined && { model }) };
        return;
      }
      default:
        // ping, and block types Backstop does not use (thinking, citations).
        break;
    }
  }
  throw streamInterrupted('stream ended before message_stop');
}

function definedOnly(usage: AnthropicUsage | undefined): AnthropicUsage {
  return Object.fromEntries(Object.entries(usage ?? {}).filter(([, v]) => v !== null && v !== undefined));
}

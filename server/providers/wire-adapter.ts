import type { ProviderAdapter, ProviderCall, ProviderResult, ProviderStreamEvent } from '../../shared/engine/ports.js';
import { postForJson, postJson, type HttpTransportOptions } from './http.js';
import { readSseResponse, type SseEvent } from './sse.js';

/** What one wire format decides; the POST, the JSON read and the SSE read are the same for all of them. */
export interface WireFormat {
  /** URL, headers and body of the one upstream call. */
  request(call: ProviderCall, stream: boolean): { url: string; headers: Record<string, string>; body: unknown };
  fromResponse(json: unknown, call: ProviderCall): ProviderResult;
  fromStream(events: AsyncIterable<SseEvent>, call: ProviderCall): AsyncIterable<ProviderStreamEvent>;
  /** Values scrubbed from every error message (the API key). */
  secrets: readonly string[];
}

/** Builds an adapter from a wire format: exactly one POST per call, no retries (the engine owns them). */
export function createWireAdapter(wire: WireFormat, transport: HttpTransportOptions = {}): ProviderAdapter {
  const request = (call: ProviderCall, signal: AbortSignal, stream: boolean) => ({
    ...wire.request(call, stream),
    signal,
    secrets: wire.secrets,
    ...(transport.dispatcher && { dispatcher: transport.dispatcher }),
    ...(transport.now && { now: transport.now }),
  });
  return {
    async complete(call, signal) {
      return wire.fromResponse(await postForJson(request(call, signal, false)), call);
    },
    async *stream(call, signal) {
      const response = await postJson(request(call, signal, true));
      yield* wire.fromStream(readSseResponse(response, signal), call);
    },
  };
}

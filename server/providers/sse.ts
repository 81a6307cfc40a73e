import { createParser, type ParseError } from 'eventsource-parser';
import { discard, streamInterrupted, toStreamError, type HttpResponse } from './http.js';

/** One server-sent event. `event` is unset for plain `data:` events. */
export interface SseEvent {
  event?: string;
  data: string;
}

export interface ReadSseOptions {
  /** Largest event (or unterminated line) buffered, in characters. Defaults to 8 MiB. */
  maxBufferSize?: number;
}

/**
 * Yields the events of an SSE byte stream as they complete. An event still unterminated when the stream ends is
 * dropped, as the SSE spec says: a provider that was cut off mid-event did not finish it.
 */
export async function* readSse(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadSseOptions = {},
): AsyncGenerator<SseEvent> {
  const queue: SseEvent[] = [];
  let overflow: ParseError | undefined;
  const parser = createParser({
    maxBufferSize: options.maxBufferSize ?? 8 * 1024 * 1024,
    onEvent: (e) => queue.push(e.event === undefined ? { data: e.data } : { event: e.event, data: e.data }),
    onError: (error) => {
      // Unknown fields and bad `retry:` values are ignorable per spec; only a runaway buffer is fatal.
      if (error.type === 'max-buffer-size-exceeded') overflow = error;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of source) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (overflow) throw streamInterrupted(`SSE event larger than the buffer limit: ${overflow.message}`);
    while (queue.length > 0) yield queue.shift()!;
  }
  parser.feed(decoder.decode());
  while (queue.length > 0) yield queue.shift()!;
}

/**
 * The SSE events of a 200 streaming response. Read errors become `ProviderError` (aborted, or `stream_interrupted`),
 * and the body is released however the iteration ends.
 */
export async function* readSseResponse(response: HttpResponse, signal: AbortSignal): AsyncGenerator<SseEvent> {
  try {
    for await (const event of readSse(response.body)) {
      // Events already buffered must not outlive an abort: the caller stopped wanting them.
      if (signal.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
      yield event;
    }
  } catch (error) {
    throw toStreamError(error, signal, response.secrets);
  } finally {
    discard(response.body);
  }
}

/** Parses one event's JSON object; anything else in a stream means the stream is broken. */
export function parseEventData(event: SseEvent): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw streamInterrupted(`malformed JSON in SSE event${event.event ? ` ${event.event}` : ''}`);
  }
  return parsed as Record<string, unknown>;
}

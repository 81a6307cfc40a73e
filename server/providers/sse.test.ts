import { describe, expect, it } from 'vitest';
import { isProviderError, type ProviderError } from '../../shared/engine/errors.js';
import { readSse, type SseEvent } from './sse.js';

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  yield* parts;
}

async function all(source: AsyncIterable<string | Uint8Array>, maxBufferSize?: number): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const e of readSse(source, maxBufferSize === undefined ? {} : { maxBufferSize })) events.push(e);
  return events;
}

describe('readSse', () => {
  it('yields data events and named events, leaving `event` unset for plain data', async () => {
    const events = await all(chunks('data: {"a":1}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n'));
    expect(events).toEqual([{ data: '{"a":1}' }, { event: 'message_stop', data: '{"type":"message_stop"}' }]);
  });

  it('reassembles events split anywhere across chunks', async () => {
    const text = 'event: ping\ndata: {"type": "ping"}\n\ndata: [DONE]\n\n';
    const pieces = [...text].map((c) => c);
    expect(await all(chunks(...pieces))).toEqual([{ event: 'ping', data: '{"type": "ping"}' }, { data: '[DONE]' }]);
  });

  it('decodes a multi-byte character split between two byte chunks', async () => {
    const bytes = new TextEncoder().encode('data: 18°C\n\n');
    const cut = bytes.indexOf(0xb0);
    expect(await all(chunks(bytes.subarray(0, cut), bytes.subarray(cut)))).toEqual([{ data: '18°C' }]);
  });

  it('accepts CRLF line endings, as Gemini sends them', async () => {
    expect(await all(chunks('data: {"x":1}\r\n\r\ndata: {"x":2}\r\n\r\n'))).toEqual([
      { data: '{"x":1}' },
      { data: '{"x":2}' },
    ]);
  });

  it('joins multi-line data with newlines and skips comments and unknown fields', async () => {
    const events = await all(chunks(': keep-alive\n\nfoo: bar\ndata: line one\ndata: line two\n\n'));
    expect(events).toEqual([{ data: 'line one\nline two' }]);
  });

  it('drops an event still unterminated when the stream ends', async () => {
    expect(await all(chunks('data: complete\n\ndata: {"cut": tr'))).toEqual([{ data: 'complete' }]);
  });

  it('stops with stream_interrupted when one event outgrows the buffer limit', async () => {
    const error = await all(chunks(`data: ${'x'.repeat(200)}`), 100).catch((e: unknown) => e);
    expect(isProviderError(error)).toBe(true);
    expect((error as ProviderError).failure.kind).toBe('stream_interrupted');
  });

  it('passes the source error through unchanged', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'data: first\n\n';
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    }
    const seen: SseEvent[] = [];
    await expect(async () => {
      for await (const e of readSse(failing())) seen.push(e);
    }).rejects.toThrow('other side closed');
    expect(seen).toEqual([{ data: 'first' }]);
  });
});

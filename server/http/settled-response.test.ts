import { describe, expect, it } from 'vitest';
import { settledResponse } from './settled-response.js';

const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

describe('settledResponse', () => {
  it('hands a streamed single JSON result back whole, with its status and headers', async () => {
    const streamed = new Response(streamOf('{"errors":', '[{"message":"no"}]}'), {
      status: 400,
      headers: { 'content-type': 'application/graphql-response+json; charset=utf-8', 'x-extra': 'kept' },
    });
    const settled = await settledResponse(streamed);
    expect(settled).not.toBe(streamed);
    expect(settled.status).toBe(400);
    expect(settled.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(settled.headers.get('x-extra')).toBe('kept');
    expect(await settled.json()).toEqual({ errors: [{ message: 'no' }] });
  });

  it('leaves an event stream (a subscription), a body-less response and any other body as they came', async () => {
    const empty = new Response(null, { status: 204 });
    expect(await settledResponse(empty)).toBe(empty);
    const page = new Response(streamOf('<html>'), { headers: { 'content-type': 'text/html' } });
    expect(await settledResponse(page)).toBe(page);
    const events = new Response(streamOf('event: next\n'), { headers: { 'content-type': 'text/event-stream' } });
    expect(await settledResponse(events)).toBe(events);
  });
});

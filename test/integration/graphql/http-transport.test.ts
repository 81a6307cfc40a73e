import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { ask, COMPLETE } from './support.js';

// GraphQL over a real port, as `npm start` serves it (@hono/node-server), rather than through `app.fetch`: single
// results are written as the server's own Response, subscriptions still stream.
let tb: TestBackstop;
let server: ReturnType<typeof serve>;
let url: string;

beforeAll(async () => {
  tb = await startTestBackstop();
  server = serve({ fetch: tb.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await tb.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tb.adminKey}`, ...headers },
    body: JSON.stringify(body),
  });

describe('GraphQL over a real port', () => {
  it('answers a single result whole, with its length, status and content type', async () => {
    const res = await post({ query: COMPLETE, variables: ask() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(res.headers.get('transfer-encoding')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(text).data.complete.decisionId).toBe(res.headers.get('x-request-id'));
  });

  it("keeps the status of an error result and yoga's CORS headers", async () => {
    const res = await post({ query: '{ nope }' }, { origin: 'http://console.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://console.example');
    expect((await res.json()).errors[0].message).toContain('nope');

    const bad = await post({ query: '{' }, { accept: 'application/graphql-response+json' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].message).toContain('Syntax Error');
  });

  it('streams a subscription over SSE event by event', async () => {
    const res = await post(
      {
        query: /* GraphQL */ `
          subscription ($input: CompleteInput!) {
            completeStream(input: $input) {
              type
              text
            }
          }
        `,
        variables: ask('Tell me about owls.'),
      },
      { accept: 'text/event-stream' },
    );
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const types: string[] = [];
    const parser = createParser({
      onEvent: (e) => {
        if (e.event === 'next')
          types.push((JSON.parse(e.data) as { data: { completeStream: { type: string } } }).data.completeStream.type);
      },
    });
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      parser.feed(decoder.decode(read.value, { stream: true }));
    }
    expect(types.length).toBeGreaterThan(2);
    expect(types.at(-1)).toBe('done');
  });
});

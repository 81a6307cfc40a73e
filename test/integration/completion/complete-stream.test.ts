import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createParser } from 'eventsource-parser';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachGraphQLWebSocket } from '../../../server/graphql/websocket.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';

const STREAM = /* GraphQL */ `
  subscription Stream($input: CompleteInput!, $mode: StreamFailoverMode) {
    completeStream(input: $input, mode: $mode) {
      type
      text
      fallback {
        fromRouteId
        toRouteId
        reason
        mode
        afterChars
      }
      result {
        content
        routeId
        degraded
        decisionId
      }
    }
  }
`;
type Event = {
  type: string;
  text: string | null;
  fallback: { fromRouteId: string; toRouteId: string; mode: string } | null;
  result: { content: string; routeId: string } | null;
};
const input = (content: string) => ({
  input: { trafficClass: 'non_critical', messages: [{ role: 'user', content }] },
});

let tb: TestBackstop;
beforeAll(async () => {
  tb = await startTestBackstop();
});
afterAll(() => tb.close());

/** Runs the subscription over SSE through app.fetch and collects the events. */
async function overSse(variables: Record<string, unknown>, key?: string | null) {
  const res = await tb.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: STREAM, variables }),
    ...(key !== undefined && { key }),
  });
  const events: { data?: { completeStream: Event }; errors?: { extensions?: { code?: string } }[] }[] = [];
  const parser = createParser({ onEvent: (e) => e.event === 'next' && events.push(JSON.parse(e.data)) });
  const decoder = new TextDecoder();
  for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>)
    parser.feed(decoder.decode(chunk, { stream: true }));
  return { res, events };
}

describe('completeStream over SSE', () => {
  it('streams text and ends with the result', async () => {
    const { res, events } = await overSse(input('Tell me about rivers.'));
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const stream = events.map((e) => e.data!.completeStream);
    const text = stream.map((e) => e.text ?? '').join('');
    expect(stream.at(-1)).toMatchObject({ type: 'done', result: { content: text, routeId: 'claude-3-5-haiku' } });
    expect(stream.filter((e) => e.type === 'text').length).toBeGreaterThan(1);
  });

  it('continues on the next tier when the stream drops mid-way', async () => {
    const healthy = (await overSse(input('Tell me about lighthouses.'))).events.at(-1)!.data!.completeStream.result!
      .content;
    tb.sim.setProfile('claude-3-5-haiku-20241022', { streamDropAfterChunks: 2 });
    try {
      const { events } = await overSse(input('Tell me about lighthouses.'));
      const stream = events.map((e) => e.data!.completeStream);
      expect(stream.filter((e) => e.type === 'fallback').at(-1)!.fallback).toMatchObject({
        toRouteId: 'gpt-4.1-mini',
        mode: 'continue',
      });
      expect(stream.map((e) => e.text ?? '').join('')).toBe(healthy);
    } finally {
      tb.sim.clearProfile('claude-3-5-haiku-20241022');
    }
  });

  it('refuses a caller without a key', async () => {
    const { events } = await overSse(input('hi'), null);
    expect(events[0]!.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('completeStream over WebSocket (graphql-ws)', () => {
  it('streams on a real port with the key in the connection params', async () => {
    const server = serve({ fetch: tb.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const ws = attachGraphQLWebSocket(server, tb.app, tb.services);
    const port = (server.address() as AddressInfo).port;
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tb.adminKey}` },
      retryAttempts: 0,
    });
    try {
      const events: Event[] = [];
      for await (const msg of client.iterate<{ completeStream: Event }>({
        query: STREAM,
        variables: input('Tell me about owls.'),
      })) {
        events.push(msg.data!.completeStream);
      }
      expect(events.at(-1)!.type).toBe('done');
      expect(events.map((e) => e.text ?? '').join('')).toBe(events.at(-1)!.result!.content);

      const anonymous = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      });
      const denied = await (async () => {
        try {
          for await (const _ of anonymous.iterate({ query: STREAM, variables: input('x') })) return 'got data';
          return 'no data';
        } catch (e) {
          return JSON.stringify(e);
        }
      })();
      expect(denied).toContain('UNAUTHENTICATED');
      await anonymous.dispose();
    } finally {
      await client.dispose();
      await ws.close();
      await new Promise((r) => server.close(r));
    }
  });
});

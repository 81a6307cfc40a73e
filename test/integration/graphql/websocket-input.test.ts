import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachGraphQLWebSocket } from '../../../server/graphql/websocket.js';
import { MAX_INPUT_DEPTH } from '../../../server/http/input-limits.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';

let tb: TestBackstop;
let server: ReturnType<typeof serve>;
let ws: ReturnType<typeof attachGraphQLWebSocket>;
let client: Client;
let closed = 0;

beforeAll(async () => {
  tb = await startTestBackstop();
  const key = await tb.key('admin');
  server = serve({ fetch: tb.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  ws = attachGraphQLWebSocket(server, tb.app, tb.services);
  client = createClient({
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: false,
    on: { closed: () => closed++ },
  });
});
afterAll(async () => {
  await client.dispose();
  await ws.close();
  server.close();
  await tb.close();
});

/** Runs one operation over the shared socket; resolves with its errors (or data). */
function run(query: string, variables?: Record<string, unknown>) {
  return new Promise<{ errors?: readonly { message: string; extensions?: Record<string, unknown> }[]; data?: unknown }>(
    (resolve) => {
      const out: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[]; data?: unknown } = {};
      client.subscribe(
        { query, ...(variables && { variables }) },
        {
          next: (r) => Object.assign(out, r),
          error: (e) => resolve({ errors: Array.isArray(e) ? e : [{ message: String(e) }] }),
          complete: () => resolve(out),
        },
      );
    },
  );
}

const deep = (levels: number): unknown => (levels === 0 ? 'x' : { a: deep(levels - 1) });

describe('GraphQL over WebSocket refuses bad input per operation', () => {
  it('answers variables nested too deeply with BAD_USER_INPUT and keeps the socket open', async () => {
    const r = await run('query Q($t: ID!) { tenant(id: $t) { id } }', { t: deep(MAX_INPUT_DEPTH + 5) });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/^invalid input: variables\.t/);
    const ok = await run('{ __typename }');
    expect(ok.data).toEqual({ __typename: 'Query' });
    expect(closed).toBe(0);
  });

  it('answers a NUL character in a variable with BAD_USER_INPUT', async () => {
    const r = await run('query Q($t: ID!) { tenant(id: $t) { id } }', { t: 'a\u0000b' });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(closed).toBe(0);
  });

  it('answers a syntax error as that operation’s error, not by closing the socket', async () => {
    const r = await run('subscription { alertFired {');
    expect(r.errors?.[0]?.message).toMatch(/Syntax Error/);
    const ok = await run('{ __typename }');
    expect(ok.data).toEqual({ __typename: 'Query' });
    expect(closed).toBe(0);
  });
});

import { createClient as createWsClient } from 'graphql-ws';
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from 'urql';

export interface ConsoleClient {
  client: Client;
  /** Closes the WebSocket used by subscriptions. */
  dispose(): void;
}

function wsUrl(origin: string): string {
  return `${origin.replace(/^http/, 'ws')}/graphql`;
}

/**
 * The one urql client: queries and mutations over HTTP with the key as a bearer token, subscriptions over
 * graphql-ws (browsers cannot set headers on a WebSocket, so the key travels in the connection params).
 */
export function createConsoleClient(key: string, origin: string = window.location.origin): ConsoleClient {
  const ws = createWsClient({
    url: wsUrl(origin),
    connectionParams: { authorization: `Bearer ${key}` },
    lazy: true,
    retryAttempts: Infinity,
    // Bounded, growing waits between reconnects (1 s, 2 s, ... 10 s).
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(10_000, 1_000 * (retries + 1)))),
  });
  const client = new Client({
    url: `${origin}/graphql`,
    // Network-first for the console: admins look at live data.
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${key}` } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}

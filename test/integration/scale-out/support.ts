// Shared by the scale-out suites: gateways with the OpenAI endpoint mounted, and the calls they make.
import { createParser } from 'eventsource-parser';
import { mountOpenAICompatible } from '../../../server/http/openai-compatible.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';

type StartOptions = NonNullable<Parameters<typeof startTestBackstop>[0]>;

/** A whole gateway in process with `/v1` mounted. */
export function startGateway(options: StartOptions = {}): Promise<TestBackstop> {
  return startTestBackstop({ ...options, app: { ...options.app, mount: mountOpenAICompatible } });
}

/** POST /v1/chat/completions through `app.fetch`. */
export function chat(tb: TestBackstop, key: string, content = 'hello', extra: Record<string, unknown> = {}) {
  return tb.fetch('/v1/chat/completions', {
    method: 'POST',
    key,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content }], ...extra }),
  });
}

export interface GraphQLReply {
  data?: { complete?: { content: string; routeId: string; usage: { outputTokens: number } } | null };
  errors?: { message: string; extensions?: { code?: string; retryAfterMs?: number; [k: string]: unknown } }[];
}

/** The `complete` mutation for a critical request. */
export function complete(tb: TestBackstop, key: string, content = 'hello'): Promise<GraphQLReply> {
  return tb.gql(
    /* GraphQL */ `
      mutation ($input: CompleteInput!) {
        complete(input: $input) {
          content
          routeId
          usage {
            outputTokens
          }
        }
      }
    `,
    { input: { trafficClass: 'critical', messages: [{ role: 'user', content }] } },
    key,
  ) as Promise<GraphQLReply>;
}

/** The `completeStream` subscription over SSE; the events' payloads (data or errors) in order. */
export async function completeStream(tb: TestBackstop, key: string, content = 'hello') {
  const res = await tb.fetch('/graphql', {
    method: 'POST',
    key,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({
      query: 'subscription ($input: CompleteInput!) { completeStream(input: $input) { type } }',
      variables: { input: { trafficClass: 'critical', messages: [{ role: 'user', content }] } },
    }),
  });
  const events: { data?: { completeStream: { type: string } }; errors?: GraphQLReply['errors'] }[] = [];
  const parser = createParser({ onEvent: (e) => e.event === 'next' && events.push(JSON.parse(e.data)) });
  const decoder = new TextDecoder();
  for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>)
    parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}

/** Counts the decisions the engine records from now on (a refused request must record none). */
export function countDecisions(tb: TestBackstop) {
  let n = 0;
  const listener = tb.services.engine.events.onDecision(() => n++);
  return { count: () => n, dispose: () => listener.dispose() };
}

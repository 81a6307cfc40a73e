import { Response as YogaResponse } from '@whatwg-node/fetch';
import { afterEach, describe, expect, it } from 'vitest';
import { yogaResponse } from './yoga-response.js';

const NativeResponse = globalThis.Response;
// What @hono/node-server does when it starts serving: it puts its own lightweight Response in the global.
class ServerResponse extends NativeResponse {}
const serveWith = (ResponseClass: typeof Response) =>
  Object.defineProperty(globalThis, 'Response', { value: ResponseClass, configurable: true, writable: true });

afterEach(() => serveWith(NativeResponse));

describe('yogaResponse', () => {
  it("makes an answer given whole with the global Response of the moment, so the server's own class writes it", async () => {
    serveWith(ServerResponse);
    const response = new yogaResponse('{"data":{"__typename":"Query"}}', {
      status: 200,
      headers: { 'content-type': 'application/graphql-response+json; charset=utf-8' },
    });
    expect(response).toBeInstanceOf(ServerResponse);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });

    const refused = new yogaResponse(null, { status: 406 });
    expect(refused).toBeInstanceOf(ServerResponse);
    expect(refused.status).toBe(406);
  });

  it('reads the global when the answer is made, not when the module loaded (tests that never serve get the native one)', () => {
    expect(new yogaResponse('{}')).toBeInstanceOf(NativeResponse);
    expect(new yogaResponse('{}')).not.toBeInstanceOf(ServerResponse);
  });

  it("keeps yoga's own Response for a streamed answer (a subscription over SSE), with its stream intact", async () => {
    serveWith(ServerResponse);
    const events = new yogaResponse(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('event: next\ndata: {}\n\n'));
          controller.close();
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    );
    expect(events).toBeInstanceOf(YogaResponse);
    expect(events).not.toBeInstanceOf(ServerResponse);
    expect(await events.text()).toBe('event: next\ndata: {}\n\n');
  });
});

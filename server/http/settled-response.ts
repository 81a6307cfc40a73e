const SINGLE_RESULT = /^application\/(?:graphql-response\+)?json\b/i;
const EVENT_STREAM = /^text\/event-stream\b/i;

/**
 * A yoga response made ready for @hono/node-server, which writes a streamed body by reading it without blocking and,
 * when the second read is not ready yet, waits a timer tick (1 ms or more) before writing a byte. That wait was most
 * of what GraphQL added at concurrency 1 (`{ __typename }` took 1.5 ms, `/healthz` 0.1 ms). So a single JSON result
 * is read whole and handed back as a string body (the adapter's direct path), and an event stream (a subscription)
 * is marked chunked, which the adapter writes as it comes. Anything else is returned as it came.
 */
export async function settledResponse(response: Response): Promise<Response> {
  const type = response.headers.get('content-type') ?? '';
  if (!response.body) return response;
  const init = {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers([...response.headers]),
  };
  if (SINGLE_RESULT.test(type)) return new Response(await response.text(), init);
  if (EVENT_STREAM.test(type) && !init.headers.has('content-length')) {
    init.headers.set('transfer-encoding', 'chunked');
    return new Response(response.body, init);
  }
  return response;
}

const SINGLE_RESULT = /^application\/(?:graphql-response\+)?json\b/i;

/**
 * A single JSON result read whole and handed back as a string body; any other response (an SSE stream, incremental
 * delivery) as it came. @hono/node-server writes a streamed body by reading it without blocking, and when the second
 * read is not ready yet it waits a timer tick (1 ms or more) before writing a byte: that wait was most of what GraphQL
 * added at concurrency 1 (`{ __typename }` took 1.5 ms, `/healthz` 0.1 ms). A string body takes its direct path.
 * Event streams are left alone: wrapping yoga's stream in a new Response made a cancelled subscription close it twice
 * (an uncaught ERR_INVALID_STATE), and a subscription's first event is not worth that risk.
 */
export async function settledResponse(response: Response): Promise<Response> {
  if (!response.body || !SINGLE_RESULT.test(response.headers.get('content-type') ?? '')) return response;
  return new Response(await response.text(), {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers([...response.headers]),
  });
}

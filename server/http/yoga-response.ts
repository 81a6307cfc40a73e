import { Response as YogaResponse } from '@whatwg-node/fetch';

/**
 * The Response class yoga builds its answers with (`createYoga({ fetchAPI: { Response: yogaResponse } })`). An answer
 * given whole (a single JSON result, an error) is made with the global Response of the moment, which under
 * @hono/node-server is its lightweight Response: node-server writes its string to the socket at once. yoga's own
 * Response carried the string as a body stream, which node-server reads without blocking, waiting a timer tick (>= 1 ms)
 * when the second read is not ready; the route used to read it back into a string first. A streamed answer (SSE,
 * incremental delivery) keeps yoga's own Response: its cancellation path is yoga's, as before.
 */
export const yogaResponse = function (body?: BodyInit | null, init?: ResponseInit): Response {
  return typeof body === 'string' || body == null ? new globalThis.Response(body, init) : new YogaResponse(body, init);
} as unknown as typeof Response;

/**
 * postgres.js 3.4.9 can write to a connection's socket after it closed (a write queued with setImmediate fires once
 * the socket is gone: "Cannot read properties of null (reading 'write')" in `nextWrite`). It happens when the network
 * to Postgres is cut mid-query. The connection is already dead and the pool reconnects, so the gateway keeps serving
 * rather than crash; 4.x rewrote the connection but is a new major, not yet adopted here.
 */
export function isPostgresWriteRace(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { message, stack } = error as { message?: unknown; stack?: unknown };
  return (
    typeof message === 'string' &&
    message.includes("Cannot read properties of null (reading 'write')") &&
    typeof stack === 'string' &&
    stack.includes('nextWrite') &&
    /postgres[\\/]src[\\/]connection\.js/.test(stack)
  );
}
